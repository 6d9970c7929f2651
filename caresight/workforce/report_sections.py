"""The council's workforce in the generated reports: seed 000's sentence for each team's week
("Commissioning currently has 15 staff absent due to COVID-19: …") for each team's latest
week in the reporting period, and the teams' table."""

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures
from caresight.core.tables import freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables


def build(scope: ReportScope) -> SectionFigures:
    """Each team's latest week that overlaps the reporting period: a report of Sunday's
    week speaks of the week that began on its Monday; a week recorded months ago is not
    "current"."""
    as_of = scope.as_of
    earliest = selectors.monday(scope.period_from)
    weeks = [w for w in selectors.weeks_as_of(user=scope.user, as_of=as_of,
                                               authority_codes=scope.authority_codes)
             if w.week_commencing >= earliest]
    if not weeks:
        return {"paragraphs": [f"No team had recorded a week from {long_date(earliest)} "
                               f"to {long_date(as_of)}."],
                "tables": [], "charts": [], "based_on": 0}
    # The report speaks of its own day: "currently has", whenever it is built.
    paragraphs = selectors.absence_sentences(weeks, as_of=as_of, today=as_of)
    table = tables.teams_as_of_table(
        weeks, title=f"Staff absent: each team's latest week to {long_date(as_of)}")
    return {"paragraphs": paragraphs, "tables": [freeze(table)], "charts": [],
            "based_on": len(weeks)}


SECTION = ReportSection(
    key="workforce", heading="Workforce challenges",
    help="The council's own teams, each one's latest week in the reporting period: the staff "
    "absent due to COVID-19 by reason, team by team, and the teams' table.",
    capability=Capability.VIEW_PLANS, build=build)
