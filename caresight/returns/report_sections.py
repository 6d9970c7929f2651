"""The returns summary of the generated reports: returns in and missing on the report's day,
the overview figures, and seed 001's IPC table, current against previous."""

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures, counted
from caresight.core.tables import freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables


def build(scope: ReportScope) -> SectionFigures:
    as_of, previous = scope.as_of, scope.previous
    summary = selectors.returns_summary(user=scope.user, as_of=as_of, previous=previous,
                                        authority_codes=scope.authority_codes)
    on = long_date(as_of)
    expected, reported = summary["locations"], summary["reported"]
    if not expected:
        return {"paragraphs": [f"No services were expected to make a return on {on}."],
                "tables": [], "charts": [], "based_on": 0}
    if not reported:
        return {"paragraphs": [f"No returns recorded by {on}: none of the "
                               f"{counted(expected, 'service')} expected to return had a "
                               "current return."],
                "tables": [], "charts": [], "based_on": expected}
    missing = expected - reported
    paragraphs = [
        f"{reported:,} of {counted(expected, 'service')} had a current return on {on} "
        f"({summary['completion_rate']}%); {missing:,} missing.",
    ]
    beds = summary["beds"]
    if beds["based_on"]:
        paragraphs.append(f"{counted(beds['vacant'], 'vacant bed')} of "
                          f"{beds['registered']:,} registered, based on "
                          f"{counted(beds['based_on'], 'care home')}.")
    low = summary["ppe_under_7_days"]
    if low["based_on"]:
        paragraphs.append(f"{counted(low['locations'], 'service')} with under 7 days of at "
                          f"least one PPE item, based on {counted(low['based_on'], 'service')}.")
    book = tables.summary_book(summary, as_of=as_of, previous=previous)
    overview, measures = book.tables[0], book.tables[1]
    return {"paragraphs": paragraphs, "tables": [freeze(overview), freeze(measures)],
            "charts": [], "based_on": expected}


SECTION = ReportSection(
    key="returns_summary", heading="Provider returns",
    help="Returns in and missing on the report's day (based on the services expected to "
    "return), beds and PPE, and the infection control measures in place, current against "
    "the previous week.",
    capability=Capability.VIEW_AGGREGATES, build=build)
