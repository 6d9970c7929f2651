"""The plans app's rows of the role × route walk (core/tests/test_permissions.py)."""

import datetime as dt

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.core.tests.test_permissions import api, api_hidden, api_write, hidden, page, record

from .. import services, winter_plan
from .factories import support_plan

PLANS_VIEW = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH,
              Role.FINANCE, Role.PARTNER}
PLANS_MANAGE = {Role.ADMIN, Role.COMMISSIONER}


def _make(w):
    own, other = w["own"].authority, w["other"].authority
    mine, theirs = support_plan(own), support_plan(other, name="Devon plan")
    requirement = winter_plan.checklist().requirements[0].code
    evidence = {}
    for key, authority in (("own", own), ("other", other)):
        evidence[key] = services.winter_evidence_add(
            authority=authority, checklist=winter_plan.checklist().code,
            requirement=requirement, title="Letter", file_name="letter.pdf",
            content=b"%PDF-1.4", added_on=dt.date(2020, 10, 30), user=OPERATOR)
        services.winter_response_record(
            authority=authority, checklist=winter_plan.checklist().code,
            requirement=requirement, on=dt.date(2020, 10, 30), status="met", user=OPERATOR)
    return {"mine": mine, "theirs": theirs, "requirement": requirement, "evidence": evidence,
            "own_code": own.ons_code, "other_code": other.ons_code,
            "own_response": evidence["own"].response_id,
            "other_response": evidence["other"].response_id}


def rows(w):
    r = w.get("plans") or w.setdefault("plans", _make(w))
    plan, other_plan = r["mine"]["plan"].pk, r["theirs"]["plan"].pk
    action, other_action = r["mine"]["training"].pk, r["theirs"]["training"].pk
    req = r["requirement"]
    view, manage = page(PLANS_VIEW), page(PLANS_MANAGE)
    own_view, own_manage = record(PLANS_VIEW), record(PLANS_VIEW, PLANS_MANAGE)
    # Those who may read the action but not record its progress (a partner whose organisation
    # does not lead it, officers of other teams) are told so, with a 403.
    progress = {**record(PLANS_VIEW, PLANS_MANAGE),
                **{role: 403 for role in PLANS_VIEW - PLANS_MANAGE}}
    own_code, other_code = r["own_code"], r["other_code"]
    return [
        ("plans:index", {}, "get", None, "", view),
        ("plans:plan-list", {}, "get", None, "", view),
        ("plans:plan-new", {}, "get", None, "", manage),
        ("plans:overdue", {}, "get", None, "as_of=2020-08-01", view),
        ("plans:overdue", {}, "get", None, "as_of=2020-08-01&download=csv",
         view),
        ("plans:plan", {"pk": plan}, "get", None, "", own_view),
        ("plans:plan", {"pk": plan}, "get", None, "download=xlsx", own_view),
        ("plans:plan", {"pk": other_plan}, "get", None, "", hidden()),
        ("plans:plan-edit", {"pk": plan}, "get", None, "", own_manage),
        ("plans:plan-edit", {"pk": other_plan}, "post", {}, "", hidden()),
        ("plans:plan-history", {"pk": plan}, "get", None, "", own_view),
        ("plans:plan-history", {"pk": other_plan}, "get", None, "", hidden()),
        ("plans:area-new", {"pk": plan}, "get", None, "", own_manage),
        ("plans:area-new", {"pk": other_plan}, "post", {}, "", hidden()),
        ("plans:action-new", {"pk": plan}, "get", None, "", own_manage),
        ("plans:action-new", {"pk": other_plan}, "post", {}, "", hidden()),
        ("plans:import", {"pk": plan}, "get", None, "", {
            **record(PLANS_VIEW, PLANS_MANAGE), **{role: 403 for role in Role.values
                                                   if role not in PLANS_MANAGE}}),
        ("plans:import", {"pk": other_plan}, "get", None, "", {
            **hidden(), **{role: 403 for role in Role.values if role not in PLANS_MANAGE}}),
        ("plans:action", {"pk": action}, "get", None, "", own_view),
        ("plans:action", {"pk": other_action}, "get", None, "", hidden()),
        ("plans:action-edit", {"pk": action}, "get", None, "", own_manage),
        ("plans:action-edit", {"pk": other_action}, "post", {}, "", hidden()),
        ("plans:action-progress", {"pk": action}, "get", None, "", progress),
        ("plans:action-progress", {"pk": other_action}, "post", {}, "", hidden()),
        ("plans:action-history", {"pk": action}, "get", None, "", own_view),
        ("plans:action-history", {"pk": other_action}, "get", None, "", hidden()),
        ("plans:winter", {}, "get", None, "", view),
        ("plans:winter", {}, "get", None, "download=csv", view),
        ("plans:winter-response", {"code": own_code, "requirement": req}, "get", None, "",
         own_view),
        ("plans:winter-response", {"code": other_code, "requirement": req}, "post", {}, "",
         hidden()),
        ("plans:winter-evidence-add", {"code": own_code, "requirement": req}, "get", None, "",
         own_manage),
        ("plans:winter-evidence-add", {"code": other_code, "requirement": req}, "post", {}, "",
         hidden()),
        ("plans:winter-evidence", {"pk": r["evidence"]["own"].pk}, "get", None, "", own_view),
        ("plans:winter-evidence", {"pk": r["evidence"]["other"].pk}, "get", None, "", hidden()),
        ("action-plan-list", {}, "get", None, "", api(PLANS_VIEW)),
        ("action-plan-list", {}, "post", {}, "", api_write(PLANS_VIEW, PLANS_MANAGE, yes=400)),
        ("action-plan-detail", {"pk": plan}, "get", None, "", api(PLANS_VIEW)),
        ("action-plan-detail", {"pk": other_plan}, "get", None, "", api_hidden(PLANS_VIEW)),
        ("action-plan-detail", {"pk": other_plan}, "patch", {"name": "x"}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, visible=False)),
        ("plan-action-list", {}, "get", None, "as_of=2020-06-01", api(PLANS_VIEW)),
        ("plan-action-list", {}, "post", {}, "", api_write(PLANS_VIEW, PLANS_MANAGE, yes=400)),
        ("plan-action-detail", {"pk": action}, "get", None, "as_of=2020-06-01",
         api(PLANS_VIEW)),
        ("plan-action-detail", {"pk": other_action}, "get", None, "", api_hidden(PLANS_VIEW)),
        ("plan-action-detail", {"pk": other_action}, "patch", {"title": "x"}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, visible=False)),
        ("plan-action-progress", {"pk": action}, "post", {}, "",
         api_write(PLANS_VIEW, PLANS_VIEW, yes=400)),
        ("plan-action-progress", {"pk": other_action}, "post", {}, "",
         api_write(PLANS_VIEW, PLANS_VIEW, visible=False)),
        ("winter-response-list", {}, "get", None, "as_of=2020-11-01", api(PLANS_VIEW)),
        ("winter-response-list", {}, "post", {}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, yes=400)),
        ("winter-response-detail", {"pk": r["own_response"]}, "get", None, "",
         api(PLANS_VIEW)),
        ("winter-response-detail", {"pk": r["other_response"]}, "get", None, "",
         api_hidden(PLANS_VIEW)),
        ("winter-response-detail", {"pk": r["other_response"]}, "patch", {"status": "met"}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, visible=False)),
    ]
