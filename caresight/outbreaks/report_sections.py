"""The outbreak update of the generated reports (seed 000's "Outbreak update as of"): the
tracker's figures and its outbreaks on the report's day, and live outbreaks day by day over
the reporting period."""

import datetime as dt

from caresight.core.report_sections import (
    Chart,
    ReportScope,
    ReportSection,
    SectionFigures,
    counted,
)
from caresight.core.tables import Column, Kind, Table, freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables

DAILY_TITLE = "Live outbreaks each day"


def _daily(scope: ReportScope) -> list[dict]:
    """Live outbreaks (and new ones) on each day of the period, as the tracker counts them."""
    days = (scope.as_of - scope.period_from).days + 1
    points = []
    for n in range(max(days, 1)):
        day = scope.period_from + dt.timedelta(days=n)
        counts = selectors.dashboard_counts(user=scope.user, as_of=day, since=day,
                                            authority_codes=scope.authority_codes)
        points.append({"date": day, "live": sum(c["live"] for c in counts.values()),
                       "new": sum(c["new"] for c in counts.values())})
    return points


def daily_table(points: list[dict]) -> Table:
    return Table(columns=[
        Column("date", "Date", kind=Kind.DATE, row_header=True),
        Column("live", "Live outbreaks", kind=Kind.WHOLE),
        Column("new", "New that day", kind=Kind.WHOLE, total=True),
    ], rows=points, title=DAILY_TITLE)


def build(scope: ReportScope) -> SectionFigures:
    as_of, since = scope.as_of, scope.period_from
    summary, rows = selectors.tracker(user=scope.user, as_of=as_of, since=since,
                                      authority_codes=scope.authority_codes)
    rows.sort(key=lambda r: (r["name"], r["reported_on"], r["outbreak_id"]))
    on, from_ = long_date(as_of), long_date(since)
    if not rows:
        ever = selectors.outbreak_list(user=scope.user).filter(
            reported_on__lte=as_of,
            location__authority__ons_code__in=list(scope.authority_codes)).exists()
        sentence = (f"No outbreaks on the tracker on {on}, and none new or closed since "
                    f"{from_}." if ever else f"No outbreaks recorded by {on}.")
        return {"paragraphs": [sentence], "tables": [], "charts": [], "based_on": 0}
    paragraphs = [
        f"{counted(summary['on_tracker'], 'service')} on the outbreak tracker on {on}: "
        f"{summary['live']} live, being supported, and {summary['de_escalation']} on the "
        f"de-escalation pathway, at {counted(summary['providers'], 'provider')}.",
        f"{counted(summary['new'], 'new outbreak')} and "
        f"{counted(summary['closed'], 'service')} closed and removed from the tracker since "
        f"{from_}.",
    ]
    book = tables.tracker_book(summary, rows, as_of=as_of, since=since,
                               list_url=lambda name: None)
    figures, by_locality, _ = book.tables
    on_tracker = tables.tracker_table([r for r in rows if "on_tracker" in r["lists"]],
                                      title=f"Outbreak update as of {on}")
    points = _daily(scope)
    chart: Chart = {"kind": "line", "title": DAILY_TITLE,
                    "dates": [p["date"].isoformat() for p in points],
                    "series": [["Live outbreaks", [p["live"] for p in points]]],
                    "y_label": "Services", "percent": False}
    return {"paragraphs": paragraphs,
            "tables": [freeze(figures), freeze(by_locality), freeze(on_tracker),
                       freeze(daily_table(points))],
            "charts": [chart], "based_on": len(rows)}


SECTION = ReportSection(
    key="outbreak_update", heading="Outbreak update",
    help="The outbreak tracker on the report's day: services on the tracker, live and on the "
    "de-escalation pathway, new and closed in the period, by locality, with each outbreak and "
    "a chart of live outbreaks each day.",
    capability=Capability.VIEW_OUTBREAKS, build=build)
