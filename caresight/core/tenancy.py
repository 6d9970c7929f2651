"""Who may see and change what. Every page, API route, export and report asks here.

A user's memberships give them a role over authorities. The role grants capabilities; the
authorities (and, for provider users, their own provider) bound where those capabilities apply.
`RULES` says how a scope reaches each kind of tenant-owned record; `access_<record>` and
`in_scope` are the door every view, API route, export and report goes through. A record the
user may not use is "not found" (404), exactly as one that does not exist, rather than
"forbidden" (403), which would leak that it exists.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any

import rules
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from caresight.core.roles import Role


class Capability(StrEnum):
    VIEW_RECORDS = "view_records"  # record-level data about services
    VIEW_AGGREGATES = "view_aggregates"  # counts and totals across authorities
    EDIT_REGISTER = "edit_register"
    IMPORT = "import"
    EXPORT = "export"
    MANAGE_USERS = "manage_users"
    SUBMIT_RETURNS = "submit_returns"  # a provider's own, or an officer's on its behalf
    VIEW_OUTBREAKS = "view_outbreaks"  # outbreaks, IMTs, concerns and the risk log
    MANAGE_OUTBREAKS = "manage_outbreaks"  # record outbreaks, IMTs, concerns; rate risk
    VIEW_GRANTS = "view_grants"  # Infection Control Fund rounds (a provider: its own part)
    MANAGE_GRANTS = "manage_grants"  # rounds, allocations, adjustments, paper agreements
    CONFIRM_PAYMENTS = "confirm_payments"  # confirm payment runs and record recoveries
    RESPOND_GRANTS = "respond_grants"  # a provider signs its agreement and reports spend
    # Plans, risks and decisions: action plans, the winter plan, the risk register, decisions,
    # business cases and the council's own workforce.
    VIEW_PLANS = "view_plans"
    MANAGE_PLANS = "manage_plans"
    UPDATE_LED_ACTIONS = "update_led_actions"  # a partner's progress on the actions it leads
    # Generated reports: read them (built live, or published), write the narrative entries
    # officers add during a reporting period, and publish (freeze) a report.
    VIEW_REPORTS = "view_reports"
    WRITE_NARRATIVE = "write_narrative"
    PUBLISH_REPORTS = "publish_reports"
    # Beds and hospital discharge: see the schemes, placements and occupancy; place people
    # (and discharge them); set up schemes and their capacity; record what was claimed from
    # the NHS. A partner's beds capabilities reach only the schemes its organisation
    # commissions (FUNDER_CAPABILITIES).
    VIEW_BEDS = "view_beds"
    PLACE_BEDS = "place_beds"
    MANAGE_BEDS = "manage_beds"
    RECORD_BED_CLAIMS = "record_bed_claims"


C = Capability
# Outbreak and risk records are the council's and its partners' working notes about a
# service, so provider users do not see them (not even their own services').
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(C),
    Role.COMMISSIONER: frozenset(
        {C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EDIT_REGISTER, C.IMPORT, C.EXPORT, C.SUBMIT_RETURNS,
         C.VIEW_OUTBREAKS, C.VIEW_GRANTS, C.MANAGE_GRANTS, C.VIEW_PLANS, C.MANAGE_PLANS,
         C.VIEW_REPORTS, C.WRITE_NARRATIVE, C.PUBLISH_REPORTS, C.VIEW_BEDS, C.PLACE_BEDS,
         C.MANAGE_BEDS, C.RECORD_BED_CLAIMS}
    ),
    Role.QUALITY_OFFICER: frozenset(
        {C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EDIT_REGISTER, C.EXPORT, C.SUBMIT_RETURNS,
         C.VIEW_OUTBREAKS, C.MANAGE_OUTBREAKS, C.VIEW_PLANS, C.VIEW_REPORTS, C.WRITE_NARRATIVE,
         C.VIEW_BEDS}
    ),
    Role.PUBLIC_HEALTH: frozenset(
        {C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_OUTBREAKS, C.MANAGE_OUTBREAKS,
         C.VIEW_PLANS, C.VIEW_REPORTS, C.WRITE_NARRATIVE, C.VIEW_BEDS}),
    Role.FINANCE: frozenset({C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_GRANTS,
                             C.MANAGE_GRANTS, C.CONFIRM_PAYMENTS, C.VIEW_PLANS, C.VIEW_REPORTS,
                             C.WRITE_NARRATIVE, C.VIEW_BEDS, C.RECORD_BED_CLAIMS}),
    # Brokerage finds free beds and places people; it sees the services' outbreaks and ratings
    # so as not to place someone into a home in outbreak unknowingly.
    Role.BROKERAGE: frozenset({C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_OUTBREAKS,
                               C.VIEW_REPORTS, C.VIEW_BEDS, C.PLACE_BEDS}),
    # Partners read plans, risks and decisions, and update the actions their organisation leads.
    Role.PARTNER: frozenset({C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_OUTBREAKS,
                             C.VIEW_PLANS, C.UPDATE_LED_ACTIONS, C.VIEW_REPORTS, C.VIEW_BEDS,
                             C.PLACE_BEDS}),
    # Provider users see only their own provider's services, and nothing aggregated.
    Role.PROVIDER_USER: frozenset({C.VIEW_RECORDS, C.SUBMIT_RETURNS, C.VIEW_GRANTS,
                                   C.RESPOND_GRANTS, C.VIEW_BEDS}),
    Role.VIEWER: frozenset({C.VIEW_AGGREGATES}),
}


@dataclass(frozen=True)
class Scope:
    """Where one capability applies for one user."""

    authority_ids: frozenset[int]
    # (provider id, authority id): a provider user's own services within their authorities.
    provider_grants: frozenset[tuple[int, int]]
    everywhere: bool = False  # the operator's: every record, whatever its authority
    # For a capability used only on what one's own organisation leads (LEAD_CAPABILITIES):
    # the organisations; None for every other capability.
    lead_organisations: frozenset[int] | None = None
    # (organisation id, authority id): for a partner's FUNDER_CAPABILITIES, the bed schemes its
    # organisation commissions in that authority. Only the beds rules read these.
    funder_grants: frozenset[tuple[int, int]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.everywhere or self.authority_ids or self.provider_grants
                    or self.funder_grants)

    def location_q(self, prefix: str = "") -> Q:
        """A filter for locations (or rows reached from a location through `prefix`)."""
        if self.everywhere:
            return Q()
        parts = []
        if self.authority_ids:
            parts.append(Q(**{f"{prefix}authority_id__in": self.authority_ids}))
        parts += [
            Q(**{f"{prefix}provider_id": p, f"{prefix}authority_id": a})
            for p, a in sorted(self.provider_grants)
        ]
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def authority_q(self, field: str = "authority_id") -> Q:
        """A filter for records of a whole authority (through `field`)."""
        return Q() if self.everywhere else Q(**{f"{field}__in": self.authority_ids})

    def scheme_q(self, prefix: str = "") -> Q:
        """A filter for bed schemes (or rows reached from one through `prefix`): the whole
        authority's, those an organisation in scope commissions, and, for a provider user,
        the schemes in their own services."""
        if self.everywhere:
            return Q()
        parts = [Q(**{f"{prefix}authority_id__in": self.authority_ids})] if self.authority_ids \
            else []
        parts += [Q(**{f"{prefix}commissioned_by_id": o, f"{prefix}authority_id": a})
                  for o, a in sorted(self.funder_grants)]
        if self.provider_grants:
            parts.append(Scope(frozenset(), self.provider_grants).location_q(
                f"{prefix}location__"))
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def allows_location(self, location) -> bool:
        return self.everywhere or location.authority_id in self.authority_ids or (
            (location.provider_id, location.authority_id) in self.provider_grants
        )


NOWHERE = Scope(frozenset(), frozenset())


class Operator:
    """The command line and scheduled jobs: every authority, with every capability.

    Passed explicitly as `user=OPERATOR`; `user=None` is nobody and sees nothing, so a view
    that forgets its user leaks nothing. History records the operator's writes as "System".
    """

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None

    def __repr__(self) -> str:
        return "OPERATOR"

    def __str__(self) -> str:
        return "System"


OPERATOR = Operator()


def actor(user):
    """The user to record as having made a write (None for the operator)."""
    return None if user is OPERATOR or user is None else user


def scope(user, capability: Capability) -> Scope:
    """Return where `user` holds `capability`; every capability is worked out once per user."""
    if user is OPERATOR:
        from caresight.registry.models import Authority

        return Scope(frozenset(Authority.objects.values_list("pk", flat=True)), frozenset(),
                     everywhere=True)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOWHERE
    if "_caresight_scopes" not in user.__dict__:
        user.__dict__["_caresight_scopes"] = _compute_scopes(user)
    return user.__dict__["_caresight_scopes"][capability]


# Capabilities that reach only the records one's own organisation leads (a plan's actions).
LEAD_CAPABILITIES = frozenset({C.UPDATE_LED_ACTIONS})
# Capabilities a partner holds only over the bed schemes its organisation commissions.
FUNDER_CAPABILITIES = frozenset({C.VIEW_BEDS, C.PLACE_BEDS})


def _compute_scopes(user) -> dict[Capability, Scope]:
    from caresight.accounts.models import Membership

    grants = Membership.objects.filter(user=user).values_list(
        "role", "organisation_id", "organisation__provider_id", "authorities__id"
    )
    authorities: dict[Capability, set[int]] = {c: set() for c in Capability}
    providers: dict[Capability, set[tuple[int, int]]] = {c: set() for c in Capability}
    organisations: dict[Capability, set[int]] = {c: set() for c in Capability}
    funders: dict[Capability, set[tuple[int, int]]] = {c: set() for c in Capability}
    for role, organisation_id, provider_id, authority_id in grants:
        if authority_id is None:
            continue
        for capability in ROLE_CAPABILITIES.get(role, ()):
            if role == Role.PROVIDER_USER:
                if provider_id:
                    providers[capability].add((provider_id, authority_id))
            elif role == Role.PARTNER and capability in FUNDER_CAPABILITIES:
                funders[capability].add((organisation_id, authority_id))
            else:
                authorities[capability].add(authority_id)
                organisations[capability].add(organisation_id)
    return {
        c: Scope(frozenset(authorities[c]), frozenset(providers[c]),
                 lead_organisations=frozenset(organisations[c]) if c in LEAD_CAPABILITIES
                 else None, funder_grants=frozenset(funders[c]))
        for c in Capability
    }


def has_capability(user, capability: Capability) -> bool:
    return bool(scope(user, capability))


# --- The rules: how a scope reaches each kind of tenant-owned record ------------------------
# The one place a record's tenancy is decided. `access`, `in_scope` and `allows` read it, and
# tests/test_tenancy_lint.py forbids views and API modules to fetch these models any other way.

def _provider_rule(s: Scope) -> Q:
    """Providers with a service in scope, or added by a council in scope."""
    from caresight.registry.models import Location

    if s.everywhere:
        return Q()
    in_scope = Location.objects.filter(s.location_q()).values("provider_id")
    return Q(pk__in=in_scope) | s.authority_q("home_authority_id")


def _round_rule(s: Scope) -> Q:
    """Rounds of the scope's authorities, and rounds its providers have an allocation from."""
    from caresight.grants.models import Allocation

    if s.everywhere:
        return Q()
    own = Allocation.objects.filter(s.location_q()).values("round_id")
    return s.authority_q() | Q(pk__in=own)


def _through_location(prefix: str) -> Callable[[Scope], Q]:
    return lambda s: s.location_q(prefix)


def _through_authority(field: str) -> Callable[[Scope], Q]:
    return lambda s: s.authority_q(field)


def _through_scheme(prefix: str) -> Callable[[Scope], Q]:
    return lambda s: s.scheme_q(prefix)


def _plan_rule(prefix: str) -> Callable[[Scope], Q]:
    """Action plans (or records reached from one through `prefix`) joint with an authority in
    scope."""
    def rule(s: Scope) -> Q:
        if s.everywhere:
            return Q()
        joint = _through("plans.ActionPlan", "authorities").objects.filter(
            authority_id__in=s.authority_ids).values("actionplan_id")
        return Q(**{f"{prefix}pk__in" if not prefix else f"{prefix}id__in": joint})
    return rule


def _every_authority_rule(label: str) -> Callable[[Scope], Q]:
    """Records of one or more authorities (a joint area's report) whose every authority is in
    scope: a Peterborough officer does not read a report that also covers Cambridgeshire."""
    def rule(s: Scope) -> Q:
        if s.everywhere:
            return Q()
        through = _through(label, "authorities")
        outside = through.objects.exclude(authority_id__in=s.authority_ids)
        column = f"{_model(label)._meta.model_name}_id"
        inside = through.objects.filter(authority_id__in=s.authority_ids)
        return Q(pk__in=inside.values(column)) & ~Q(pk__in=outside.values(column))
    return rule


def _plan_action_rule(prefix: str) -> Callable[[Scope], Q]:
    """Actions of plans in scope; with a lead capability, only those its organisations lead."""
    plan_rule = _plan_rule(f"{prefix}area__plan__")

    def rule(s: Scope) -> Q:
        q = plan_rule(s)
        if s.lead_organisations is not None and not s.everywhere:
            led = _through("plans.PlanAction", "leads").objects.filter(
                organisation_id__in=s.lead_organisations).values("planaction_id")
            q &= Q(**{f"{prefix}pk__in" if not prefix else f"{prefix}id__in": led})
        return q
    return rule


def _m2m_rule(label: str, field: str, column: str, prefix: str = "pk") -> Callable[[Scope], Q]:
    """Records reached through a many-to-many field to authorities (`column` is the through
    table's column naming the record): those with an authority in scope."""
    def rule(s: Scope) -> Q:
        if s.everywhere:
            return Q()
        linked = _through(label, field).objects.filter(
            authority_id__in=s.authority_ids).values(column)
        return Q(**{f"{prefix}__in": linked})
    return rule


RULES: dict[str, Callable[[Scope], Q]] = {
    # People with a role in an authority in scope; their memberships and invitations likewise.
    "accounts.User": _m2m_rule("accounts.Membership", "authorities", "membership__user_id"),
    "accounts.Membership": _m2m_rule("accounts.Membership", "authorities", "membership_id"),
    "accounts.Invitation": _m2m_rule("accounts.Invitation", "authorities", "invitation_id"),
    # An email's deliveries, seen by the administrators of the authorities it concerns.
    "core.EmailDelivery": _m2m_rule("core.OutgoingEmail", "authorities", "outgoingemail_id",
                                    prefix="email_id"),
    "registry.Authority": _through_authority("pk"),
    "registry.Locality": _through_authority("authority_id"),
    "registry.Provider": _provider_rule,
    "registry.Location": _through_location(""),
    "returns.Return": _through_location("location__"),
    "returns.CurrentReturn": _through_location("location__"),
    "returns.KeptTotals": _through_authority("authority_id"),
    "returns.KeptTotalsVersion": _through_authority("authority_id"),
    "outbreaks.Outbreak": _through_location("location__"),
    "outbreaks.Update": _through_location("outbreak__location__"),
    "outbreaks.StatusChange": _through_location("outbreak__location__"),
    "outbreaks.ImtMeeting": _through_location("location__"),
    "outbreaks.ImtAction": _through_location("meeting__location__"),
    "outbreaks.LearningReview": _through_location("outbreak__location__"),
    "outbreaks.Thresholds": _through_authority("authority_id"),
    "risk.Concern": _through_location("location__"),
    "risk.Override": _through_location("location__"),
    "risk.Policy": _through_authority("authority_id"),
    "risk.SavedLog": _through_authority("authority_id"),
    "grants.Round": _round_rule,
    "grants.Element": _through_authority("round__authority_id"),
    "grants.Instalment": _through_authority("round__authority_id"),
    "grants.PaymentRun": _through_authority("round__authority_id"),
    # Allocations, agreements, payments and spend returns carry their provider and authority.
    "grants.Allocation": _through_location(""),
    "grants.Adjustment": _through_location("allocation__"),
    "grants.Agreement": _through_location(""),
    "grants.Payment": _through_location(""),
    "grants.Recovery": _through_location("payment__"),
    "grants.SpendReturn": _through_location(""),
    "plans.ActionPlan": _plan_rule(""),
    "plans.PlanArea": _plan_rule("plan__"),
    "plans.PlanAction": _plan_action_rule(""),
    "plans.ProgressUpdate": _plan_action_rule("action__"),
    "plans.WinterResponse": _through_authority("authority_id"),
    "plans.WinterResponseUpdate": _through_authority("response__authority_id"),
    "plans.WinterEvidence": _through_authority("response__authority_id"),
    "governance.Risk": _through_authority("authority_id"),
    "governance.RiskReview": _through_authority("risk__authority_id"),
    "governance.Mitigation": _through_authority("risk__authority_id"),
    "governance.Decision": _through_authority("authority_id"),
    "governance.BusinessCase": _through_authority("authority_id"),
    "governance.BusinessCaseStatus": _through_authority("case__authority_id"),
    "workforce.Team": _through_authority("authority_id"),
    "workforce.TeamWeek": _through_authority("team__authority_id"),
    "reports.ReportSettings": _through_authority("authority_id"),
    "reports.NarrativeEntry": _through_authority("authority_id"),
    "reports.PublishedReport": _every_authority_rule("reports.PublishedReport"),
    "reports.ReportSchedule": _through_authority("authority_id"),
    "reports.ScheduledRun": _through_authority("schedule__authority_id"),
    "beds.BedScheme": _through_scheme(""),
    "beds.BedCapacity": _through_scheme("scheme__"),
    "beds.Placement": _through_scheme("scheme__"),
    "beds.NhsClaim": _through_authority("authority_id"),
}


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def _through(label: str, field: str) -> Any:
    """The table behind a model's many-to-many field."""
    model: Any = _model(label)
    return getattr(model, field).through


def _label(model) -> str:
    return model._meta.label


def in_scope(user, capability: Capability, records: str | type[Model] | QuerySet) -> QuerySet:
    """The records (a model label, model or queryset) `user` may use `capability` on."""
    if isinstance(records, str):
        records = _model(records)._default_manager.all()
    elif isinstance(records, type):
        records = records._default_manager.all()
    return records.filter(RULES[_label(records.model)](scope(user, capability)))


def access(user, records: str | type[Model] | QuerySet, pk, capability: Capability,
           field: str = "pk"):
    """The record `pk` if `user` may use `capability` on it.

    Otherwise Http404, exactly as for a record that does not exist, so an answer never tells
    whether another council's or provider's record is there. A `pk` of the wrong type is a
    record that does not exist too.
    """
    queryset = in_scope(user, capability, records)
    try:
        found = queryset.filter(**{field: pk}).first()
    except (TypeError, ValueError, ValidationError):
        found = None
    if found is None:
        raise Http404("No such record.")
    return found


def _door(label: str):
    def door(user, pk, capability: Capability, *, queryset: QuerySet | None = None):
        return access(user, queryset if queryset is not None else label, pk, capability)

    door.__name__ = door.__qualname__ = f"access_{label.split('.')[1].lower()}"
    door.__doc__ = f"The {label} `pk` if `user` may use `capability` on it; else Http404."
    return door


access_location = _door("registry.Location")
access_provider = _door("registry.Provider")
access_locality = _door("registry.Locality")
access_return = _door("returns.Return")
access_outbreak = _door("outbreaks.Outbreak")
access_imt_meeting = _door("outbreaks.ImtMeeting")
access_imt_action = _door("outbreaks.ImtAction")
access_concern = _door("risk.Concern")
access_override = _door("risk.Override")
access_round = _door("grants.Round")
access_element = _door("grants.Element")
access_allocation = _door("grants.Allocation")
access_agreement = _door("grants.Agreement")
access_payment_run = _door("grants.PaymentRun")
access_payment = _door("grants.Payment")
access_spend_return = _door("grants.SpendReturn")
access_action_plan = _door("plans.ActionPlan")
access_plan_area = _door("plans.PlanArea")
access_plan_action = _door("plans.PlanAction")
access_winter_response = _door("plans.WinterResponse")
access_winter_evidence = _door("plans.WinterEvidence")
access_risk = _door("governance.Risk")
access_mitigation = _door("governance.Mitigation")
access_decision = _door("governance.Decision")
access_business_case = _door("governance.BusinessCase")
access_team = _door("workforce.Team")
access_team_week = _door("workforce.TeamWeek")
access_user = _door("accounts.User")
access_membership = _door("accounts.Membership")
access_report_settings = _door("reports.ReportSettings")
access_narrative_entry = _door("reports.NarrativeEntry")
access_published_report = _door("reports.PublishedReport")
access_report_schedule = _door("reports.ReportSchedule")
access_bed_scheme = _door("beds.BedScheme")
access_bed_capacity = _door("beds.BedCapacity")
access_placement = _door("beds.Placement")
access_nhs_claim = _door("beds.NhsClaim")


def access_authority(user, code: str, capability: Capability):
    """The authority with ONS code `code` if `user` holds `capability` over all of it."""
    return access(user, "registry.Authority", str(code).upper(), capability, field="ons_code")


def authority_ids(user, capability: Capability) -> frozenset[int]:
    """Authorities where `user` holds `capability` for the whole authority (not one provider)."""
    return scope(user, capability).authority_ids


def authorities(user, capability: Capability) -> QuerySet:
    """The authorities where `user` holds `capability` for the whole authority, by name."""
    return in_scope(user, capability, "registry.Authority").order_by("name")


def allows(user, capability: Capability, obj) -> bool:
    """May `user` use `capability` on this record (any kind in RULES)?"""
    s = scope(user, capability)
    if not s:
        return False
    label = _label(type(obj))
    if label == "registry.Location":
        return s.allows_location(obj)
    if label == "registry.Provider" and capability == Capability.EDIT_REGISTER:
        return _may_edit_provider(s, obj)
    return type(obj)._default_manager.filter(RULES[label](s), pk=obj.pk).exists()


def _may_edit_provider(s: Scope, provider) -> bool:
    """A provider shared with other councils is changed only by one that has them all."""
    locations = list(provider.locations.all())
    home_ok = (s.everywhere or provider.home_authority_id is None
               or provider.home_authority_id in s.authority_ids)
    return home_ok and bool(locations or provider.home_authority_id) and all(
        s.allows_location(location) for location in locations)


def require(user, capability: Capability, obj=None) -> None:
    """Raise PermissionDenied unless `user` holds `capability` somewhere.

    With a record: Http404 unless `user` holds `capability` on it (as for no such record).
    """
    if obj is None:
        if not has_capability(user, capability):
            raise PermissionDenied
    elif not allows(user, capability, obj):
        raise Http404("No such record.")


def _object_predicate(capability: Capability):
    @rules.predicate(name=f"can_{capability}")
    def predicate(user, obj=None) -> bool:
        if obj is None:
            return has_capability(user, capability)
        return allows(user, capability, obj)

    return predicate


# Django permission names, so views and the API can ask `user.has_perm(name, obj)`.
rules.add_perm("registry.view_location", _object_predicate(C.VIEW_RECORDS))
rules.add_perm("registry.change_location", _object_predicate(C.EDIT_REGISTER))
rules.add_perm("registry.add_location", _object_predicate(C.EDIT_REGISTER))
rules.add_perm("registry.view_provider", _object_predicate(C.VIEW_RECORDS))
rules.add_perm("registry.change_provider", _object_predicate(C.EDIT_REGISTER))
rules.add_perm("registry.add_provider", _object_predicate(C.EDIT_REGISTER))
rules.add_perm("registry.view_locality", _object_predicate(C.VIEW_RECORDS))
rules.add_perm("registry.change_locality", _object_predicate(C.EDIT_REGISTER))
rules.add_perm("registry.import_cqc", _object_predicate(C.IMPORT))
rules.add_perm("registry.export_locations", _object_predicate(C.EXPORT))
rules.add_perm("registry.view_summary", _object_predicate(C.VIEW_AGGREGATES))
rules.add_perm("accounts.manage_users", _object_predicate(C.MANAGE_USERS))
