"""The governance app's rows of the role × route walk (core/tests/test_permissions.py)."""

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.core.tests.test_permissions import api, api_hidden, api_write, hidden, page, record

from .. import services
from .factories import DAY, make_case, make_decision, make_risk

PLANS_VIEW = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH,
              Role.FINANCE, Role.PARTNER}
PLANS_MANAGE = {Role.ADMIN, Role.COMMISSIONER}


def _make(w):
    made = {}
    for key, authority in (("own", w["own"].authority), ("other", w["other"].authority)):
        risk = make_risk(authority, "G1")
        mitigation = services.mitigation_create(risk=risk, description="Block-book beds",
                                                started_on=DAY, user=OPERATOR)
        made[key] = {"risk": risk.pk, "mitigation": mitigation.pk,
                     "decision": make_decision(authority).pk, "case": make_case(authority).pk}
    return made


def rows(w):
    g = w.get("governance") or w.setdefault("governance", _make(w))
    own, other = g["own"], g["other"]
    view, manage = page(PLANS_VIEW), page(PLANS_MANAGE)
    own_view, own_manage = record(PLANS_VIEW), record(PLANS_VIEW, PLANS_MANAGE)
    day = f"as_of={DAY.isoformat()}"
    out = [
        ("governance:risk-list", {}, "get", None, day, view),
        ("governance:risk-list", {}, "get", None, f"{day}&scores=inherent", view),
        ("governance:risk-list", {}, "get", None, f"{day}&download=csv", view),
        ("governance:risk-due", {}, "get", None, day, view),
        ("governance:risk-due", {}, "get", None, f"{day}&download=xlsx", view),
        ("governance:risk-new", {}, "get", None, "", manage),
        ("governance:decision-list", {}, "get", None, f"since=2020-01-01&{day}", view),
        ("governance:decision-list", {}, "get", None, f"{day}&download=json", view),
        ("governance:decision-new", {}, "get", None, "", manage),
        ("governance:case-list", {}, "get", None, day, view),
        ("governance:case-list", {}, "get", None, f"{day}&download=ods", view),
        ("governance:case-new", {}, "get", None, "", manage),
        ("governance:mitigation-edit", {"pk": own["mitigation"]}, "get", None, "", own_manage),
        ("governance:mitigation-edit", {"pk": other["mitigation"]}, "get", None, "", hidden()),
        ("governance:mitigation-edit", {"pk": other["mitigation"]}, "post", {}, "", hidden()),
        # The API: reads need VIEW_PLANS, writes MANAGE_PLANS (refused before any lookup)
        ("governance-risk-list", {}, "get", None, day, api(PLANS_VIEW)),
        ("governance-risk-list", {}, "post", {}, "", api(PLANS_MANAGE, yes=400)),
        ("governance-risk-list", {}, "post", {"authority": "E10000008"}, "",
         api(PLANS_MANAGE, yes=400)),
        ("decision-list", {}, "get", None, day, api(PLANS_VIEW)),
        ("decision-list", {}, "post", {}, "", api(PLANS_MANAGE, yes=400)),
        ("business-case-list", {}, "get", None, day, api(PLANS_VIEW)),
        ("business-case-list", {}, "post", {}, "", api(PLANS_MANAGE, yes=400)),
    ]
    for prefix, key in (("governance-risk", "risk"), ("decision", "decision"),
                        ("business-case", "case")):
        name = f"{prefix}-detail"
        out += [
            (name, {"pk": own[key]}, "get", None, "", api(PLANS_VIEW)),
            (name, {"pk": other[key]}, "get", None, "", api_hidden(PLANS_VIEW)),
            (name, {"pk": own[key]}, "patch", {}, "", api_write(PLANS_VIEW, PLANS_MANAGE)),
            (name, {"pk": other[key]}, "patch", {}, "",
             api_write(PLANS_VIEW, PLANS_MANAGE, visible=False)),
        ]
    pages = [("risk", "risk", ("detail", "history"), ("edit", "review")),
             ("mitigation", "risk", (), ("new",)),
             ("decision", "decision", ("detail", "history"), ("edit",)),
             ("case", "case", ("detail", "history"), ("edit", "status"))]
    for stem, key, reads, writes in pages:
        for name in (*reads, *writes):
            expected = own_view if name in reads else own_manage
            out += [(f"governance:{stem}-{name}", {"pk": own[key]}, "get", None, "", expected),
                    (f"governance:{stem}-{name}", {"pk": other[key]}, "get", None, "",
                     hidden())]
            if name in writes:
                out.append((f"governance:{stem}-{name}", {"pk": other[key]}, "post", {}, "",
                            hidden()))
    return out
