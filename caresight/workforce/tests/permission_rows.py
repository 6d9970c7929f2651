"""The workforce app's rows of the role × route walk (core/tests/test_permissions.py)."""

from caresight.accounts.models import Role
from caresight.core.tests.test_permissions import api, api_hidden, api_write, hidden, page, record

from .factories import MONDAY, team, week

PLANS_VIEW = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH,
              Role.FINANCE, Role.PARTNER}
PLANS_MANAGE = {Role.ADMIN, Role.COMMISSIONER}


def _make(w):
    mine, theirs = team(w["own"].authority), team(w["other"].authority)
    return {"team": mine.pk, "other_team": theirs.pk,
            "week": week(mine).pk, "other_week": week(theirs).pk}


def rows(w):
    r = w.get("workforce") or w.setdefault("workforce", _make(w))
    mine, theirs = r["team"], r["other_team"]
    own_week, other_week = r["week"], r["other_week"]
    view, manage = page(PLANS_VIEW), page(PLANS_MANAGE)
    own_view, own_manage = record(PLANS_VIEW), record(PLANS_VIEW, PLANS_MANAGE)
    new_week = {"team": mine, "week_commencing": MONDAY.isoformat(), "staff_in_post": -1}
    return [
        ("workforce:summary", {}, "get", None, "", view),
        ("workforce:summary", {}, "get", None, "as_of=2020-06-04&download=csv", view),
        ("workforce:team-new", {}, "get", None, "", manage),
        ("workforce:team-detail", {"pk": mine}, "get", None, "", own_view),
        ("workforce:team-detail", {"pk": theirs}, "get", None, "", hidden()),
        ("workforce:week-new", {"pk": mine}, "get", None, "", own_manage),
        ("workforce:week-new", {"pk": theirs}, "get", None, "", hidden()),
        ("workforce:week-new", {"pk": theirs}, "post", {}, "", hidden()),
        ("workforce:week-edit", {"pk": own_week}, "get", None, "", own_manage),
        ("workforce:week-edit", {"pk": other_week}, "get", None, "", hidden()),
        ("workforce:week-edit", {"pk": other_week}, "post", {}, "", hidden()),
        ("workforce:week-history", {"pk": own_week}, "get", None, "", own_view),
        ("workforce:week-history", {"pk": other_week}, "get", None, "", hidden()),
        ("workforce-team-list", {}, "get", None, "as_of=2020-06-04", api(PLANS_VIEW)),
        ("workforce-team-list", {}, "post", {}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, yes=400)),
        ("workforce-team-detail", {"pk": mine}, "get", None, "", api(PLANS_VIEW)),
        ("workforce-team-detail", {"pk": theirs}, "get", None, "", api_hidden(PLANS_VIEW)),
        ("workforce-team-detail", {"pk": theirs}, "patch", {"name": "x"}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, visible=False)),
        ("workforce-week-list", {}, "get", None, "as_of=2020-06-04&team=1", api(PLANS_VIEW)),
        ("workforce-week-list", {}, "post", new_week, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, yes=400)),
        ("workforce-week-detail", {"pk": own_week}, "get", None, "", api(PLANS_VIEW)),
        ("workforce-week-detail", {"pk": other_week}, "get", None, "", api_hidden(PLANS_VIEW)),
        ("workforce-week-detail", {"pk": own_week}, "patch", {"staff_in_post": -1}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, yes=400)),
        ("workforce-week-detail", {"pk": other_week}, "patch", {"staff_in_post": 50}, "",
         api_write(PLANS_VIEW, PLANS_MANAGE, visible=False)),
    ]
