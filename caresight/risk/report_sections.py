"""The risk log of the generated reports: how many services were rated red, amber and green
on the report's day, and the red list."""

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures, counted
from caresight.core.tables import Column, Kind, Table, freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables
from .models import Rating


def counts_table(counts: dict[str, int], *, as_of) -> Table:
    return Table(columns=[
        Column("rating", "Rating", choices=Rating, tag_colour=tables.TAG_COLOURS.get,
               row_header=True),
        Column("services", "Services", kind=Kind.WHOLE, total=True),
    ], rows=[{"rating": rating, "services": counts[rating]} for rating in Rating.values],
        title="Risk log counts", caption=f"Services by rating on {long_date(as_of)}")


def build(scope: ReportScope) -> SectionFigures:
    as_of = scope.as_of
    # The log saved on the day (as distributed) where there is one, whatever today is.
    log = selectors.risk_log(user=scope.user, as_of=as_of, use_saved=True,
                             authority_codes=scope.authority_codes)
    counts = log.counts()
    total = sum(counts.values())
    on = long_date(as_of)
    if not total:
        return {"paragraphs": [f"No services on the risk log on {on}."], "tables": [],
                "charts": [], "based_on": 0}
    paragraphs = [f"{counts[Rating.RED]:,} red, {counts[Rating.AMBER]:,} amber and "
                  f"{counts[Rating.GREEN]:,} green on the risk log on {on}, of "
                  f"{counted(total, 'service')}."]
    if log.showing_saved:
        paragraphs.append("The log as it was saved and distributed that day.")
    red = tables.risk_log_table(log.rows(ratings=[Rating.RED]), as_of=as_of)
    red.title = f"Services rated red on {on}"
    red.empty_message = f"No service was rated red on {on}."
    return {"paragraphs": paragraphs,
            "tables": [freeze(counts_table(counts, as_of=as_of)), freeze(red)],
            "charts": [], "based_on": total}


SECTION = ReportSection(
    key="risk_log", heading="Risk log",
    help="Services rated red, amber and green on the report's day (the saved log where there "
    "is one), and the red list with the reasons.",
    capability=Capability.VIEW_OUTBREAKS, build=build)
