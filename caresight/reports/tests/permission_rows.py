"""The reports app's rows of the role × route walk (core/tests/test_permissions.py)."""

import datetime as dt

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.core.tests.test_permissions import (
    ROLES,
    api,
    api_hidden,
    hidden,
    page,
    record,
)

from .. import selectors, services
from ..models import PublishedReport

VIEW = {Role.ADMIN, Role.COMMISSIONER, Role.QUALITY_OFFICER, Role.PUBLIC_HEALTH, Role.FINANCE,
        Role.PARTNER, Role.BROKERAGE}
WRITE = VIEW - {Role.PARTNER, Role.BROKERAGE}
PUBLISH = {Role.ADMIN, Role.COMMISSIONER}
AS_OF = dt.date(2020, 11, 30)


def _published(authority) -> PublishedReport:
    """A published report without drawing its files (the walk reads who may open it)."""
    figures = selectors.report_figures(user=OPERATOR, kind="highlight",
                                       authority_codes=[authority.ons_code], as_of=AS_OF)
    report = PublishedReport.objects.create(
        kind="highlight", area_key=authority.ons_code, area_name=authority.name,
        title=figures["title"], period_from=figures["period_from"], as_of=AS_OF,
        figures=figures, figures_sha256=selectors.figures_hash(figures), html="<p>Report</p>",
        pdf=b"%PDF-1.7", docx=b"PK", pdf_sha256="", docx_sha256="")
    report.authorities.set([authority])
    return report


def _make(w):
    mine, theirs = w["own"].authority, w["other"].authority
    entry = services.entry_create(user=OPERATOR, authority=mine, section="recovery", on=AS_OF,
                                  text="Day services reopened.")
    other_entry = services.entry_create(user=OPERATOR, authority=theirs, section="recovery",
                                        on=AS_OF, text="Devon's recovery.")
    schedule, other_schedule = (services.schedule_save(
        user=OPERATOR, authority=a, kind="highlight", frequency="weekly", weekday=0,
        time_of_day=dt.time(8), recipients=["dass@example.org"]) for a in (mine, theirs))
    return {"mine": mine.ons_code, "theirs": theirs.ons_code, "entry": entry.pk,
            "other_entry": other_entry.pk, "report": _published(mine).pk,
            "other_report": _published(theirs).pk, "schedule": schedule.pk,
            "other_schedule": other_schedule.pk}


def rows(w):
    r = w.get("reports") or w.setdefault("reports", _make(w))
    view, write = page(VIEW), page(WRITE)
    build = f"kind=highlight&authority={r['mine']}&as_of={AS_OF.isoformat()}"
    elsewhere = f"kind=highlight&authority={r['theirs']}&as_of={AS_OF.isoformat()}"
    # Another council's area: "not found" to whoever may build reports at all.
    not_theirs = {role: code if code != 200 else 404 for role, code in view.items()}
    # A publisher is sent on (a form that names no report goes back to the choice page).
    publish = {role: 302 if code == 200 else code for role, code in page(PUBLISH).items()}
    assert set(publish) == set(ROLES)
    return [
        ("reports:index", {}, "get", None, "", view),
        ("reports:build", {}, "get", None, build, view),
        ("reports:build", {}, "get", None, elsewhere, not_theirs),
        ("reports:publish", {}, "post", {}, "", publish),
        ("reports:published-list", {}, "get", None, "", view),
        ("reports:published", {"pk": r["report"]}, "get", None, "", record(VIEW)),
        ("reports:published", {"pk": r["other_report"]}, "get", None, "", hidden()),
        ("reports:published-file", {"pk": r["report"], "fmt": "pdf"}, "get", None, "",
         record(VIEW)),
        ("reports:published-file", {"pk": r["other_report"], "fmt": "pdf"}, "get", None, "",
         hidden()),
        ("reports:entries", {}, "get", None, "", view),
        ("reports:entry-new", {}, "get", None, "", write),
        ("reports:entry-edit", {"pk": r["entry"]}, "get", None, "", record(VIEW, WRITE)),
        ("reports:entry-edit", {"pk": r["other_entry"]}, "get", None, "", hidden()),
        ("reports:entry-edit", {"pk": r["other_entry"]}, "post", {}, "", hidden()),
        ("reports:entry-history", {"pk": r["entry"]}, "get", None, "", record(VIEW)),
        ("reports:entry-history", {"pk": r["other_entry"]}, "get", None, "", hidden()),
        ("reports:settings", {"code": r["mine"], "kind": "highlight"}, "get", None, "",
         record(PUBLISH)),
        ("reports:settings", {"code": r["theirs"], "kind": "highlight"}, "get", None, "",
         hidden()),
        ("reports:schedules", {"code": r["mine"]}, "get", None, "", record(PUBLISH)),
        ("reports:schedules", {"code": r["theirs"]}, "get", None, "", hidden()),
        ("reports:schedule-new", {"code": r["mine"]}, "get", None, "", record(PUBLISH)),
        ("reports:schedule-new", {"code": r["theirs"]}, "post", {}, "", hidden()),
        ("reports:schedule-edit", {"pk": r["schedule"]}, "get", None, "", record(PUBLISH)),
        ("reports:schedule-edit", {"pk": r["other_schedule"]}, "get", None, "", hidden()),
        ("reports:schedule-edit", {"pk": r["other_schedule"]}, "post", {}, "", hidden()),
        ("reports:schedule-history", {"pk": r["schedule"]}, "get", None, "",
         record(PUBLISH)),
        ("reports:schedule-history", {"pk": r["other_schedule"]}, "get", None, "",
         hidden()),
        ("published-report-list", {}, "get", None, "", api(VIEW)),
        ("published-report-detail", {"pk": r["report"]}, "get", None, "", api(VIEW)),
        ("published-report-detail", {"pk": r["other_report"]}, "get", None, "",
         api_hidden(VIEW)),
        ("published-report-download", {"pk": r["report"]}, "get", None, "file=pdf",
         api(VIEW)),
        ("published-report-download", {"pk": r["other_report"]}, "get", None, "file=pdf",
         api_hidden(VIEW)),
    ]
