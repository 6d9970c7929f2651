"""Walk every page and API route as every role and check what must be refused is refused.

Another council's record answers 404 (not 403, which would tell the caller that it exists).
A route added without a row here fails `test_every_route_is_in_the_table`.
"""

import datetime as dt
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from caresight.accounts.models import Role
from caresight.core.models import Job
from caresight.core.tenancy import OPERATOR
from caresight.grants import services as grants
from caresight.grants.tests.factories import accept, pay, simple_round
from caresight.outbreaks.services import (
    Counts,
    imt_action_add,
    imt_meeting_record,
    outbreak_report,
)
from caresight.registry.models import Locality
from caresight.registry.tests.factories import LocationFactory, ProviderFactory
from caresight.returns.models import MeasureSet
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers
from caresight.risk.services import concern_raise, override_set

ANON = "anonymous"
ROLES = [*Role.values, ANON]
VIEW = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH, Role.FINANCE,
        Role.PARTNER, Role.BROKERAGE, Role.PROVIDER_USER}
EDIT = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER}
EXPORT = VIEW - {Role.PROVIDER_USER}
AGGREGATES = (VIEW - {Role.PROVIDER_USER}) | {Role.VIEWER}
IMPORT = {Role.ADMIN, Role.COMMISSIONER}
SUBMIT = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PROVIDER_USER}
STAFF = set(Role.values) - {Role.PROVIDER_USER}
OUTBREAKS = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH,
             Role.PARTNER, Role.BROKERAGE}
MANAGE_OUTBREAKS = {Role.ADMIN, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH}
GRANTS_OFFICERS = {Role.ADMIN, Role.COMMISSIONER, Role.FINANCE}  # also manage_grants
GRANTS = GRANTS_OFFICERS | {Role.PROVIDER_USER}
CONFIRM_PAYMENTS = {Role.ADMIN, Role.FINANCE}
SIGNED_IN = set(Role.values)


def page(granted, yes=200, no=403, anon=302):
    return {role: anon if role == ANON else (yes if role in granted else no) for role in ROLES}


def record(view, edit=None, yes=200):
    """A record page: 200 if allowed, else 404, as for a record that does not exist (even to
    someone who may see the record but not do this to it: one rule, and nothing to tell)."""
    allowed = view if edit is None else view & edit
    return {role: 302 if role == ANON else (yes if role in allowed else 404) for role in ROLES}


def hidden(anon=302):
    return {role: anon if role == ANON else 404 for role in ROLES}


def api(granted, yes=200, no=403):
    return {role: 401 if role == ANON else (yes if role in granted else no) for role in ROLES}


def api_record(view, yes=200):
    return {role: 401 if role == ANON else (yes if role in view else 404) for role in ROLES}


def api_hidden(granted):
    """Another council's record through the API: 404 to those who may read such records."""
    return {role: 401 if role == ANON else (404 if role in granted else 403) for role in ROLES}


def api_write(view, edit, *, visible=True, yes=200):
    out = {}
    for role in ROLES:
        if role == ANON:
            out[role] = 401
        elif role not in edit:
            out[role] = 403  # refused before any record is looked up: reveals nothing
        elif not visible:
            out[role] = 404
        else:
            out[role] = yes
    return out


@pytest.fixture
def world(cambs, devon, make_user):
    own_provider = ProviderFactory(name="Own Provider")
    own = LocationFactory(authority=cambs, provider=own_provider)
    other = LocationFactory(authority=devon)
    own_locality = Locality.objects.create(authority=cambs, name="Fenland")
    other_locality = Locality.objects.create(authority=devon, name="Torridge")
    users = {
        role: make_user(role, cambs, provider=own_provider if role == Role.PROVIDER_USER else None)
        for role in Role.values
    }
    stranger = make_user(Role.ADMIN, devon)
    job = Job.objects.create(kind="cqc", created_by=stranger, status=Job.Status.PREVIEWED,
                             result={"ok": True})
    day = dt.date(2020, 6, 4)
    own_return = return_submit(location=own, for_date=day, answers=care_home_answers(),
                               user=OPERATOR).ret
    other_return = return_submit(location=other, for_date=day, answers=care_home_answers(),
                                 user=OPERATOR).ret
    own_outbreak = outbreak_report(location=own, reported_on=day, reported_by="provider",
                                   counts=Counts(kind="confirmed", new_cases_residents=1),
                                   user=OPERATOR)
    other_outbreak = outbreak_report(location=other, reported_on=day, reported_by="provider",
                                     counts=Counts(kind="confirmed"), user=OPERATOR)
    meetings = {key: imt_meeting_record(location=o.location, outbreak=o, held_on=day,
                                        attendees="DPH", summary="", user=OPERATOR)
                for key, o in (("own", own_outbreak), ("other", other_outbreak))}
    action = imt_action_add(meeting=meetings["other"], description="Swab", owner="CCG",
                            due_on=day, user=OPERATOR)
    concerns = {key: concern_raise(location=loc, raised_on=day, source="complaint",
                                   summary="Late medication", user=OPERATOR)
                for key, loc in (("own", own), ("other", other))}
    overrides = {key: override_set(location=loc, rating="red", reason="IMT", starts_on=day,
                                   expires_on=day, user=OPERATOR)
                 for key, loc in (("own", own), ("other", other))}
    grant_rounds = {}
    for key, authority, provider in (("own", cambs, own_provider),
                                     ("other", devon, other.provider)):
        found = simple_round(authority)
        grants.allocation_confirm(round=found, user=OPERATOR)
        accept(found, provider, on=day)
        run = pay(found, 1, as_of=day)
        grants.spend_return_submit(round=found, provider=provider, amounts={"other": "1.00"},
                                   user=OPERATOR)
        allocation = found.allocations.get(location__authority=authority)
        grant_rounds[key] = {"round": found.pk, "run": run.pk, "allocation": allocation.pk,
                             "payment": run.payments.get().pk,
                             "agreement": found.agreements.get().pk,
                             "spend": found.spend_returns.get().pk, "provider": provider.pk,
                             "element": found.elements.first().pk}
    return {"grants": grant_rounds,
            "own_outbreak": own_outbreak.pk, "other_outbreak": other_outbreak.pk,
            "own_meeting": meetings["own"].pk, "other_meeting": meetings["other"].pk,
            "other_action": action.pk, "own_concern": concerns["own"].pk,
            "other_concern": concerns["other"].pk, "own_override": overrides["own"].pk,
            "other_override": overrides["other"].pk,
            "own_return": own_return.pk, "other_return": other_return.pk,
            "own": own, "other": other, "own_provider": own_provider,
            "other_provider": other.provider, "own_locality": own_locality,
            "other_locality": other_locality, "users": users, "job": job}


def rows(w):
    """(route name, kwargs, method, body, query, expected status per role)."""
    own, other = w["own"].pk, w["other"].pk
    own_p, other_p = w["own_provider"].pk, w["other_provider"].pk
    api_body = {"name": "Renamed by API"}
    return [
        ("home", {}, "get", None, "", page(SIGNED_IN)),
        ("registry:location-list", {}, "get", None, "", page(VIEW)),
        ("registry:location-list", {}, "get", None, "download=csv", page(EXPORT)),
        ("registry:location-create", {}, "get", None, "", page(EDIT)),
        ("registry:location-detail", {"pk": own}, "get", None, "", record(VIEW)),
        ("registry:location-detail", {"pk": other}, "get", None, "", hidden()),
        ("registry:location-edit", {"pk": own}, "get", None, "", record(VIEW, EDIT)),
        ("registry:location-edit", {"pk": other}, "get", None, "", hidden()),
        ("registry:location-edit", {"pk": other}, "post", {"name": "x"}, "", hidden()),
        ("registry:location-history", {"pk": own}, "get", None, "", record(VIEW)),
        ("registry:location-history", {"pk": other}, "get", None, "", hidden()),
        ("registry:provider-create", {}, "get", None, "", page(EDIT)),
        ("registry:provider-detail", {"pk": own_p}, "get", None, "", record(VIEW)),
        ("registry:provider-detail", {"pk": other_p}, "get", None, "", hidden()),
        ("registry:provider-edit", {"pk": own_p}, "get", None, "", record(VIEW, EDIT)),
        ("registry:provider-edit", {"pk": other_p}, "get", None, "", hidden()),
        ("registry:provider-history", {"pk": own_p}, "get", None, "", record(VIEW)),
        ("registry:provider-history", {"pk": other_p}, "get", None, "", hidden()),
        ("registry:locality-list", {}, "get", None, "", page(VIEW)),
        ("registry:locality-history", {"pk": w["own_locality"].pk}, "get", None, "",
         record(VIEW - {Role.PROVIDER_USER})),
        ("registry:locality-history", {"pk": w["other_locality"].pk}, "get", None, "",
         hidden()),
        ("registry:summary", {}, "get", None, "", page(AGGREGATES)),
        ("registry:import", {}, "get", None, "", page(IMPORT)),
        ("job-detail", {"pk": w["job"].pk}, "get", None, "", hidden()),
        ("job-detail", {"pk": uuid.uuid4()}, "get", None, "", hidden()),
        ("job-confirm", {"pk": w["job"].pk}, "post", {}, "", hidden()),
        ("job-download", {"pk": w["job"].pk}, "get", None, "", hidden()),
        ("download-list", {}, "get", None, "", page({Role.ADMIN})),
        ("accounts:sign-in", {}, "get", None, "", page(SIGNED_IN, anon=200)),
        ("accounts:sign-in-code", {}, "get", None, "", page(set(), no=302)),
        ("accounts:sign-out", {}, "post", {}, "", page(SIGNED_IN, yes=302)),
        ("accounts:account", {}, "get", None, "", page(SIGNED_IN)),
        ("accounts:two-factor-setup", {}, "get", None, "", page(STAFF, no=302)),
        ("accounts:two-factor-disable", {}, "post", {}, "", page(SIGNED_IN, yes=302)),
        *account_rows(w),
        ("api-schema", {}, "get", None, "", page(SIGNED_IN, anon=200)),
        ("api-docs", {}, "get", None, "", page(SIGNED_IN, anon=200)),
        ("api-root", {}, "get", None, "", api(SIGNED_IN)),
        ("authority-list", {}, "get", None, "", api(SIGNED_IN)),
        ("authority-detail", {"ons_code": "E10000008"}, "get", None, "", api(SIGNED_IN)),
        ("locality-list", {}, "get", None, "", api(VIEW)),
        ("locality-detail", {"pk": w["own_locality"].pk}, "get", None, "",
         api_record(VIEW - {Role.PROVIDER_USER}) | {Role.VIEWER: 403, Role.PROVIDER_USER: 404}),
        ("locality-detail", {"pk": w["other_locality"].pk}, "get", None, "",
         api_record(set()) | {Role.VIEWER: 403}),
        ("provider-list", {}, "get", None, "", api(VIEW)),
        ("provider-list", {}, "post", {"name": "New Provider Ltd"}, "", api(EDIT, yes=201)),
        ("provider-detail", {"pk": own_p}, "get", None, "",
         api_record(VIEW) | {Role.VIEWER: 403}),
        ("provider-detail", {"pk": other_p}, "get", None, "", api_record(set())
         | {Role.VIEWER: 403}),
        ("provider-detail", {"pk": own_p}, "patch", {"phone": "01223 111111"}, "",
         api_write(VIEW, EDIT)),
        ("provider-detail", {"pk": other_p}, "patch", {"phone": "01223 111111"}, "",
         api_write(VIEW, EDIT, visible=False)),
        ("location-list", {}, "get", None, "", api(VIEW)),
        ("location-list", {}, "post", {}, "", api(EDIT, yes=400)),
        ("location-detail", {"pk": own}, "get", None, "", api_record(VIEW) | {Role.VIEWER: 403}),
        ("location-detail", {"pk": other}, "get", None, "", api_record(set())
         | {Role.VIEWER: 403}),
        ("location-detail", {"pk": own}, "patch", api_body, "", api_write(VIEW, EDIT)),
        ("location-detail", {"pk": other}, "patch", api_body, "",
         api_write(VIEW, EDIT, visible=False)),
        ("returns:summary", {}, "get", None, "", page(AGGREGATES)),
        ("returns:completeness", {}, "get", None, "", page(VIEW)),
        ("returns:completeness", {}, "get", None, "download=csv", page(EXPORT)),
        ("returns:submit-list", {}, "get", None, "", page(SUBMIT)),
        ("returns:import", {}, "get", None, "", page(IMPORT)),
        ("returns:location", {"pk": own}, "get", None, "", record(VIEW)),
        ("returns:location", {"pk": other}, "get", None, "", hidden()),
        ("returns:submit", {"pk": own}, "get", None, "", record(VIEW, SUBMIT)),
        ("returns:submit", {"pk": other}, "get", None, "", hidden()),
        ("returns:submit", {"pk": other}, "post", {"for_date": "2020-06-04"}, "", hidden()),
        ("returns:detail", {"pk": w["own_return"]}, "get", None, "", record(VIEW)),
        ("returns:detail", {"pk": w["other_return"]}, "get", None, "", hidden()),
        ("returns:history", {"pk": w["own_return"]}, "get", None, "", record(VIEW)),
        ("returns:history", {"pk": w["other_return"]}, "get", None, "", hidden()),
        ("return-list", {}, "get", None, "", api(VIEW)),
        ("return-list", {}, "post", {"location": str(own), "for_date": "2020-06-05",
                                     "answers": {}}, "", api(SUBMIT, yes=400)),
        ("return-list", {}, "post", {"location": str(other), "for_date": "2020-06-05",
                                     "answers": {}}, "", api(SUBMIT, yes=400)),
        ("return-detail", {"pk": w["own_return"]}, "get", None, "",
         api_record(VIEW) | {Role.VIEWER: 403}),
        ("return-detail", {"pk": w["other_return"]}, "get", None, "",
         api_record(set()) | {Role.VIEWER: 403}),
        ("return-latest", {}, "get", None, "as_of=2020-06-04", api(VIEW)),
        ("return-summary", {}, "get", None, "as_of=2020-06-04", api(AGGREGATES)),
        ("return-chase", {}, "get", None, "as_of=2020-06-04", api(VIEW)),
        ("measure-set-list", {}, "get", None, "", api(SIGNED_IN)),
        ("measure-set-detail", {"pk": MeasureSet.objects.first().pk}, "get", None, "",
         api(SIGNED_IN)),
        ("admin:index", {}, "get", None, "", page(set(), no=302)),
        *outbreak_rows(w),
        *(row for app_rows in APP_ROWS for row in app_rows(w)),
    ]


def account_rows(w):
    """Administrators manage the people of their own authorities; links sent by email."""
    admins = {Role.ADMIN}
    own = w["users"][Role.COMMISSIONER]
    other = w["job"].created_by  # an administrator in Devon
    own_role, other_role = own.memberships.get(), other.memberships.get()
    everyone = {role: 200 for role in ROLES}
    return [
        ("accounts:user-list", {}, "get", None, "", page(admins)),
        ("accounts:user-invite", {}, "get", None, "", page(admins)),
        ("accounts:user-detail", {"pk": own.pk}, "get", None, "", record(admins)),
        ("accounts:user-detail", {"pk": other.pk}, "get", None, "", hidden()),
        ("accounts:user-reactivate", {"pk": own.pk}, "post", {}, "", record(admins, yes=302)),
        ("accounts:user-reactivate", {"pk": other.pk}, "post", {}, "", hidden()),
        ("accounts:user-deactivate", {"pk": other.pk}, "post", {}, "", hidden()),
        ("accounts:membership-edit", {"pk": own_role.pk}, "get", None, "", record(admins)),
        ("accounts:membership-edit", {"pk": other_role.pk}, "post", {}, "", hidden()),
        ("accounts:invitation-open", {"token": "not-a-token"}, "get", None, "",
         {role: 302 for role in ROLES}),
        ("accounts:invitation-accept", {}, "get", None, "", {role: 400 for role in ROLES}),
        ("accounts:password-reset", {}, "get", None, "", everyone),
        ("accounts:password-reset-sent", {}, "get", None, "", everyone),
        ("accounts:password-reset-confirm", {"uidb64": "MQ", "token": "nope"}, "get", None, "",
         {role: 400 for role in ROLES}),
        ("email-list", {}, "get", None, "", page(admins)),
    ]


def outbreak_rows(w):
    own, other = w["own"].pk, w["other"].pk
    mine, theirs = w["own_outbreak"], w["other_outbreak"]
    location_page = record(OUTBREAKS)
    rows = [
        ("outbreaks:tracker", {}, "get", None, "", page(OUTBREAKS)),
        ("outbreaks:list", {}, "get", None, "show=live", page(OUTBREAKS)),
        ("outbreaks:list", {}, "get", None, "as_of=2020-06-04&download=csv", page(OUTBREAKS)),
        ("outbreaks:report-search", {}, "get", None, "q=Own", page(MANAGE_OUTBREAKS)),
        ("outbreaks:import", {}, "get", None, "", page(MANAGE_OUTBREAKS)),
        ("outbreaks:thresholds", {}, "get", None, "", page(MANAGE_OUTBREAKS)),
        ("outbreaks:thresholds-edit", {"code": "E10000003"}, "get", None, "",
         record(MANAGE_OUTBREAKS)),
        ("outbreaks:thresholds-edit", {"code": "E10000008"}, "post", {}, "", hidden()),
        ("outbreaks:location", {"pk": own}, "get", None, "", location_page),
        ("outbreaks:location", {"pk": other}, "get", None, "", hidden()),
        ("outbreaks:report", {"pk": own}, "get", None, "", record(VIEW, MANAGE_OUTBREAKS)),
        ("outbreaks:report", {"pk": other}, "post", {}, "", hidden()),
        ("outbreaks:location-imt-add", {"pk": own}, "get", None, "",
         record(VIEW, MANAGE_OUTBREAKS)),
        ("outbreaks:location-imt-add", {"pk": other}, "post", {}, "", hidden()),
        ("outbreaks:imt", {"pk": w["own_meeting"]}, "get", None, "", record(OUTBREAKS)),
        ("outbreaks:imt", {"pk": w["other_meeting"]}, "post", {}, "", hidden()),
        ("outbreaks:imt-action-done", {"pk": w["other_action"]}, "post", {}, "", hidden()),
        ("risk:log", {}, "get", None, "", page(OUTBREAKS)),
        ("risk:log", {}, "get", None, "as_of=2020-06-04&download=csv", page(OUTBREAKS)),
        ("risk:priorities", {}, "get", None, "", page(OUTBREAKS)),
        ("risk:save", {}, "post", {"authority": "E10000008", "as_of": "2020-06-04"}, "",
         hidden()),
        ("risk:policies", {}, "get", None, "", page(MANAGE_OUTBREAKS)),
        ("risk:policy-edit", {"code": "E10000003"}, "get", None, "", record(MANAGE_OUTBREAKS)),
        ("risk:policy-edit", {"code": "E10000008"}, "post", {}, "", hidden()),
        ("risk:location", {"pk": own}, "get", None, "", location_page),
        ("risk:location", {"pk": other}, "get", None, "", hidden()),
        ("risk:override", {"pk": own}, "get", None, "", record(VIEW, MANAGE_OUTBREAKS)),
        ("risk:override", {"pk": other}, "post", {}, "", hidden()),
        ("risk:concern-add", {"pk": own}, "get", None, "", record(VIEW, MANAGE_OUTBREAKS)),
        ("risk:concern-add", {"pk": other}, "post", {}, "", hidden()),
        ("risk:concern-close", {"pk": w["own_concern"]}, "get", None, "",
         record(VIEW, MANAGE_OUTBREAKS)),
        ("risk:concern-close", {"pk": w["other_concern"]}, "post", {}, "", hidden()),
        ("outbreak-list", {}, "get", None, "", api(OUTBREAKS)),
        ("outbreak-list", {}, "post", {}, "", api(MANAGE_OUTBREAKS, yes=400)),
        ("outbreak-list", {}, "post", {"location": str(other), "reported_on": "2020-06-05",
                                       "reported_by": "provider", "kind": "confirmed"}, "",
         api(MANAGE_OUTBREAKS, yes=400)),
        ("outbreak-detail", {"pk": theirs}, "get", None, "", api_hidden(OUTBREAKS)),
        ("outbreak-updates", {"pk": mine}, "post", {}, "", api(MANAGE_OUTBREAKS, yes=400)),
        ("outbreak-updates", {"pk": theirs}, "post", {}, "", api_hidden(MANAGE_OUTBREAKS)),
        ("outbreak-status", {"pk": mine}, "post", {}, "", api(MANAGE_OUTBREAKS, yes=400)),
        ("outbreak-status", {"pk": theirs}, "post", {}, "", api_hidden(MANAGE_OUTBREAKS)),
        ("outbreak-tracker", {}, "get", None, "as_of=2020-06-04", api(OUTBREAKS)),
        ("risk-log-list", {}, "get", None, "as_of=2020-06-04", api(OUTBREAKS)),
        ("risk-log-priorities", {}, "get", None, "as_of=2020-06-04", api(OUTBREAKS)),
        ("risk-override-list", {}, "get", None, "", api(OUTBREAKS)),
        ("risk-override-list", {}, "post", {"location": str(other), "rating": "red",
                                             "reason": "x", "starts_on": "2020-06-04",
                                             "expires_on": "2020-06-05"}, "",
         api(MANAGE_OUTBREAKS, yes=400)),
        ("risk-override-detail", {"pk": w["own_override"]}, "get", None, "", api(OUTBREAKS)),
        ("risk-override-detail", {"pk": w["other_override"]}, "get", None, "",
         api_hidden(OUTBREAKS)),
    ]
    rows += [("outbreaks:update-correct", {"pk": mine, "on": "2020-06-04"}, "get", None, "",
              record(OUTBREAKS, MANAGE_OUTBREAKS)),
             ("outbreaks:update-correct", {"pk": theirs, "on": "2020-06-04"}, "post", {}, "",
              hidden())]
    for name in ("detail", "history", "update", "status", "imt-add", "review"):
        edit = None if name in ("detail", "history") else MANAGE_OUTBREAKS
        rows += [(f"outbreaks:{name}", {"pk": mine}, "get", None, "", record(OUTBREAKS, edit)),
                 (f"outbreaks:{name}", {"pk": theirs}, "get", None, "", hidden())]
    rows += [("outbreak-detail", {"pk": mine}, "get", None, "", api(OUTBREAKS))]
    return rows + grant_rows(w["grants"])


def grant_rows(g):
    """The Infection Control Fund: officers see a round; a provider user, its own part."""
    own, other = g["own"], g["other"]
    r, theirs = own["round"], other["round"]
    provider_sees = record(GRANTS) | {Role.PROVIDER_USER: 302}
    officers = record(GRANTS, GRANTS_OFFICERS)
    every = {role: 200 for role in ROLES}
    rows = [
        ("grants:list", {}, "get", None, "", page(GRANTS)),
        ("grants:round-new", {}, "get", None, "", page(GRANTS_OFFICERS)),
        ("grants:round", {"pk": r}, "get", None, "", provider_sees),
        ("grants:round", {"pk": theirs}, "get", None, "", hidden()),
        ("grants:confirm", {"pk": r}, "post", {}, "", record(GRANTS, GRANTS_OFFICERS, yes=302)),
        ("grants:confirm", {"pk": theirs}, "post", {}, "", hidden()),
        ("grants:letters", {"pk": r, "fmt": "zip"}, "post", {}, "",
         record(GRANTS, GRANTS_OFFICERS, yes=302)),
        ("grants:letters", {"pk": theirs, "fmt": "zip"}, "post", {}, "", hidden()),
        ("grants:provider", {"pk": r, "provider": own["provider"]}, "get", None, "",
         record(GRANTS)),
        ("grants:provider", {"pk": theirs, "provider": other["provider"]}, "get", None, "",
         hidden()),
        ("grants:letter", {"pk": r, "provider": own["provider"], "fmt": "docx"}, "get", None,
         "", record(GRANTS)),
        ("grants:spend-submit", {"pk": r, "provider": own["provider"]}, "get", None, "",
         record(GRANTS)),
        ("grants:spend-submit", {"pk": theirs, "provider": other["provider"]}, "post", {}, "",
         hidden()),
        ("grants:paper", {"pk": r, "provider": own["provider"]}, "get", None, "", officers),
        ("grants:adjust", {"pk": own["allocation"]}, "get", None, "", officers),
        ("grants:adjust", {"pk": other["allocation"]}, "post", {}, "", hidden()),
        ("grants:run", {"pk": own["run"]}, "get", None, "", officers),
        ("grants:run", {"pk": other["run"]}, "get", None, "", hidden()),
        ("grants:run-confirm", {"pk": own["run"]}, "post", {}, "",
         record(GRANTS, CONFIRM_PAYMENTS, yes=302)),
        ("grants:run-file", {"pk": own["run"]}, "get", None, "",
         record(GRANTS, CONFIRM_PAYMENTS)),
        ("grants:run-file", {"pk": other["run"]}, "get", None, "", hidden()),
        ("grants:recover", {"pk": own["payment"]}, "get", None, "",
         record(GRANTS, CONFIRM_PAYMENTS)),
        ("grants:recover", {"pk": other["payment"]}, "post", {}, "", hidden()),
        ("published:published", {}, "get", None, "", every),
        ("published:published-round", {"pk": theirs}, "get", None, "", every),
        ("published:published-file", {"pk": r, "fmt": "json"}, "get", None, "", every),
        ("grant-round-list", {}, "get", None, "", api(GRANTS)),
        ("grant-round-list", {}, "post", {}, "", api(GRANTS_OFFICERS, yes=400)),
        ("grant-round-detail", {"pk": r}, "get", None, "", api_record(GRANTS)
         | {role: 403 for role in set(Role.values) - GRANTS}),
        ("grant-round-detail", {"pk": theirs}, "get", None, "", api_hidden(GRANTS)),
        ("grant-round-allocation", {"pk": r}, "get", None, "",
         api(GRANTS_OFFICERS) | {Role.PROVIDER_USER: 404}),
        ("grant-round-confirm", {"pk": r}, "post", {}, "", api(GRANTS_OFFICERS, yes=400)),
        ("grant-round-confirm", {"pk": theirs}, "post", {}, "", api_hidden(GRANTS_OFFICERS)),
        # A provider user sees its own part of a round on its provider page, not the round's
        # reconciliation: the API follows the page.
        ("grant-round-reconciliation", {"pk": r}, "get", None, "",
         api(GRANTS_OFFICERS) | {Role.PROVIDER_USER: 404}),
        ("grant-round-government-return", {"pk": r}, "get", None, "",
         api(GRANTS_OFFICERS) | {Role.PROVIDER_USER: 404}),
        ("grant-allocation-list", {}, "get", None, "", api(GRANTS)),
        ("grant-allocation-detail", {"pk": own["allocation"]}, "get", None, "", api(GRANTS)),
        ("grant-allocation-detail", {"pk": other["allocation"]}, "get", None, "",
         api_hidden(GRANTS)),
        ("grant-payment-list", {}, "get", None, "", api(GRANTS)),
        ("grant-payment-detail", {"pk": own["payment"]}, "get", None, "", api(GRANTS)),
        ("grant-payment-detail", {"pk": other["payment"]}, "get", None, "",
         api_hidden(GRANTS)),
        ("grant-payment-run-list", {}, "get", None, "", api(GRANTS)),
        ("grant-payment-run-list", {}, "post", {}, "", api(GRANTS_OFFICERS, yes=400)),
        ("grant-payment-run-detail", {"pk": own["run"]}, "get", None, "",
         api(GRANTS_OFFICERS) | {Role.PROVIDER_USER: 404}),
        ("grant-payment-run-confirm", {"pk": own["run"]}, "post", {}, "",
         api(CONFIRM_PAYMENTS, yes=400)
         | {role: 404 for role in GRANTS_OFFICERS - CONFIRM_PAYMENTS}),
        ("grant-payment-run-confirm", {"pk": other["run"]}, "post", {}, "",
         api_hidden(GRANTS_OFFICERS)),
        ("grant-agreement-list", {}, "get", None, "", api(GRANTS)),
        ("grant-agreement-list", {}, "post", {}, "", api(GRANTS, yes=400)),
        ("grant-agreement-detail", {"pk": own["agreement"]}, "get", None, "", api(GRANTS)),
        ("grant-agreement-detail", {"pk": other["agreement"]}, "get", None, "",
         api_hidden(GRANTS)),
        ("spend-return-list", {}, "get", None, "", api(GRANTS)),
        ("spend-return-list", {}, "post", {}, "", api(GRANTS, yes=400)),
        ("spend-return-detail", {"pk": own["spend"]}, "get", None, "", api(GRANTS)),
        ("spend-return-detail", {"pk": other["spend"]}, "get", None, "", api_hidden(GRANTS)),
    ]
    for name in ("allocations", "agreements", "runs", "spend", "reconciliation", "return"):
        rows += [(f"grants:{name}", {"pk": r}, "get", None, "", officers),
                 (f"grants:{name}", {"pk": theirs}, "get", None, "", hidden())]
    element = "grants:element"
    return rows + [
        (element, {"pk": r, "element": own["element"]}, "get", None, "", officers),
        (element, {"pk": theirs, "element": other["element"]}, "post", {}, "", hidden()),
        ("grants:element-inputs", {"pk": r, "element": own["element"]}, "get", None, "",
         officers),
    ]


def _app_rows(module: str):
    """A later app's rows, from `caresight.<app>.tests.permission_rows.rows(w)` (which makes its
    records once, kept in `w`)."""
    def app_rows(w):
        from importlib import import_module

        return import_module(module).rows(w)
    return app_rows


# The apps that keep their own rows, and the names of their API routes.
APP_ROWS = [_app_rows(f"caresight.{app}.tests.permission_rows")
            for app in ("plans", "governance", "workforce", "reports", "dashboards",
                        "notifications", "beds")]
API_PREFIXES = ("action-plan-", "plan-action-", "winter-response-", "governance-risk-",
                "decision-", "business-case-", "workforce-", "published-report-", "bed-scheme-",
                "placement-", "beds-")


# Routes not walked, and why.
NOT_WALKED = {
    "admin": "Django's admin: superusers only; admin:index is walked to prove others are sent away",
}


def route_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns)
    return {n for n in names if n.split(":")[0] not in NOT_WALKED}


@pytest.mark.django_db
def test_every_route_is_in_the_table(world):
    covered = {row[0] for row in rows(world)}
    assert route_names() - covered == set()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_what_it_must(role, world, client):
    user = None if role == ANON else world["users"][role]
    failures = []
    for name, kwargs, method, body, query, expected in rows(world):
        url = reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")
        through_api = (name.startswith(("api", "authority", "locality-", "provider-",
                                        "location-", "return-", "measure-set-", "outbreak-",
                                        "risk-", "grant-", "spend-return-",
                                        *API_PREFIXES))
                       and ":" not in name and name not in ("api-schema", "api-docs"))
        response = ask(client, user, through_api, method, url, body)
        if response.status_code != expected[role]:
            failures.append(f"{method.upper()} {url}: {response.status_code}, "
                            f"expected {expected[role]}")
        elif response.status_code == 404 and kwargs:
            # Out of scope must read exactly like a record that does not exist.
            missing = reverse(name, kwargs={k: NO_SUCH[type(v)] for k, v in kwargs.items()})
            missing += f"?{query}" if query else ""
            answer = ask(client, user, through_api, method, missing, body)
            if (answer.status_code, _body(answer, missing)) != (404, _body(response, url)):
                failures.append(f"{method.upper()} {url}: its 404 differs from {missing}'s")
    assert failures == [], "\n".join(failures)


def ask(client, user, through_api: bool, method: str, url: str, body):
    if through_api:
        from rest_framework.test import APIClient

        api_client = APIClient()
        if user:
            api_client.credentials(
                HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return getattr(api_client, method)(url, body, format="json")
    client.logout()
    if user:
        client.force_login(user)
    return getattr(client, method)(url, body or {})


NO_SUCH = {int: 987654321, str: "ZZ99999999", uuid.UUID: uuid.UUID(int=0)}


def _body(response, url: str) -> bytes:
    """The answer with its own address (and the CSRF token) taken out."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)
    body = re.sub(rb'nonce="[^"]*"', b"", body)
    return body.replace(url.encode(), b"URL")


@pytest.mark.django_db
def test_refused_writes_change_nothing(world, client):
    other = world["other"]
    client.force_login(world["users"][Role.COMMISSIONER])
    client.post(reverse("registry:location-edit", kwargs={"pk": other.pk}), {"name": "Hijacked"})
    client.post(reverse("returns:submit", kwargs={"pk": other.pk}),
                {"for_date": "2020-06-05", **care_home_answers()})
    other.refresh_from_db()
    assert other.name != "Hijacked"
    assert other.returns.count() == 1


@pytest.mark.django_db
def test_refusals_are_gov_uk_pages(world, client):
    client.force_login(world["users"][Role.PARTNER])
    forbidden = client.get(reverse("registry:location-create"))
    missing = client.get(reverse("registry:location-detail", kwargs={"pk": world["other"].pk}))
    assert "You do not have access to this page" in forbidden.content.decode()
    assert "Page not found" in missing.content.decode()
