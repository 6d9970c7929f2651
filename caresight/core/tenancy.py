"""Who may see and change what. Every page, API route, export and report asks here.

A user's memberships give them a role over authorities. The role grants capabilities; the
authorities (and, for provider users, their own provider) bound where those capabilities apply.
Records a user may not see are filtered out of querysets, so another council's record is "not
found" (404) rather than "forbidden" (403), which would leak that it exists.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import or_

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

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


C = Capability
# Outbreak and risk records are the council's and its partners' working notes about a
# service, so provider users do not see them (not even their own services').
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(C),
    Role.COMMISSIONER: frozenset(
        {C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EDIT_REGISTER, C.IMPORT, C.EXPORT, C.SUBMIT_RETURNS,
         C.VIEW_OUTBREAKS, C.VIEW_GRANTS, C.MANAGE_GRANTS}
    ),
    Role.QUALITY_OFFICER: frozenset(
        {C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EDIT_REGISTER, C.EXPORT, C.SUBMIT_RETURNS,
         C.VIEW_OUTBREAKS, C.MANAGE_OUTBREAKS}
    ),
    Role.PUBLIC_HEALTH: frozenset(
        {C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_OUTBREAKS, C.MANAGE_OUTBREAKS}),
    Role.FINANCE: frozenset({C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_GRANTS,
                             C.MANAGE_GRANTS, C.CONFIRM_PAYMENTS}),
    Role.PARTNER: frozenset({C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.EXPORT, C.VIEW_OUTBREAKS}),
    # Provider users see only their own provider's services, and nothing aggregated.
    Role.PROVIDER_USER: frozenset({C.VIEW_RECORDS, C.SUBMIT_RETURNS, C.VIEW_GRANTS,
                                   C.RESPOND_GRANTS}),
    Role.VIEWER: frozenset({C.VIEW_AGGREGATES}),
}


@dataclass(frozen=True)
class Scope:
    """Where one capability applies for one user."""

    authority_ids: frozenset[int]
    # (provider id, authority id): a provider user's own services within their authorities.
    provider_grants: frozenset[tuple[int, int]]

    def __bool__(self) -> bool:
        return bool(self.authority_ids or self.provider_grants)

    def location_q(self, prefix: str = "") -> Q:
        """A filter for locations (or rows reached from a location through `prefix`)."""
        parts = []
        if self.authority_ids:
            parts.append(Q(**{f"{prefix}authority_id__in": self.authority_ids}))
        parts += [
            Q(**{f"{prefix}provider_id": p, f"{prefix}authority_id": a})
            for p, a in sorted(self.provider_grants)
        ]
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def allows_location(self, location) -> bool:
        return location.authority_id in self.authority_ids or (
            (location.provider_id, location.authority_id) in self.provider_grants
        )


def scope(user, capability: Capability) -> Scope:
    """Return where `user` holds `capability`; every capability is worked out once per user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(frozenset(), frozenset())
    if "_caresight_scopes" not in user.__dict__:
        user.__dict__["_caresight_scopes"] = _compute_scopes(user)
    return user.__dict__["_caresight_scopes"][capability]


def _compute_scopes(user) -> dict[Capability, Scope]:
    from caresight.accounts.models import Membership

    grants = Membership.objects.filter(user=user).values_list(
        "role", "organisation__provider_id", "authorities__id"
    )
    authorities: dict[Capability, set[int]] = {c: set() for c in Capability}
    providers: dict[Capability, set[tuple[int, int]]] = {c: set() for c in Capability}
    for role, provider_id, authority_id in grants:
        if authority_id is None:
            continue
        for capability in ROLE_CAPABILITIES.get(role, ()):
            if role == Role.PROVIDER_USER:
                if provider_id:
                    providers[capability].add((provider_id, authority_id))
            else:
                authorities[capability].add(authority_id)
    return {
        c: Scope(frozenset(authorities[c]), frozenset(providers[c])) for c in Capability
    }


def has_capability(user, capability: Capability) -> bool:
    return bool(scope(user, capability))


def locations(user, capability: Capability, queryset: QuerySet) -> QuerySet:
    """Narrow a queryset of locations to those `user` may use `capability` on."""
    return queryset.filter(scope(user, capability).location_q())


def providers(user, capability: Capability, queryset: QuerySet) -> QuerySet:
    """Providers with a service in scope, or added by a council in scope."""
    s = scope(user, capability)
    from caresight.registry.models import Location

    in_scope = Location.objects.filter(s.location_q()).values("provider_id")
    return queryset.filter(
        Q(pk__in=in_scope) | Q(home_authority_id__in=s.authority_ids)
    )


def authority_ids(user, capability: Capability) -> frozenset[int]:
    """Authorities where `user` holds `capability` for the whole authority (not one provider)."""
    return scope(user, capability).authority_ids


def allows(user, capability: Capability, obj) -> bool:
    """May `user` use `capability` on this record? Works for anything with an authority."""
    s = scope(user, capability)
    if hasattr(obj, "provider_id") and hasattr(obj, "authority_id"):
        return s.allows_location(obj)
    if hasattr(obj, "home_authority_id"):  # a provider
        locations = list(obj.locations.all())
        if capability == Capability.EDIT_REGISTER:
            # A provider shared with other councils is changed only by one that has them all.
            home_ok = obj.home_authority_id is None or obj.home_authority_id in s.authority_ids
            return home_ok and bool(locations or obj.home_authority_id) and all(
                s.allows_location(location) for location in locations)
        return obj.home_authority_id in s.authority_ids or any(
            s.allows_location(location) for location in locations)
    if hasattr(obj, "authority_id"):
        return obj.authority_id in s.authority_ids
    return False


def require(user, capability: Capability, obj=None) -> None:
    """Raise PermissionDenied unless `user` holds `capability` (on `obj`, when given)."""
    allowed = has_capability(user, capability) if obj is None else allows(user, capability, obj)
    if not allowed:
        raise PermissionDenied


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
