"""Beds in the generated reports: on the report's last day, the beds commissioned, occupied and
free by kind of scheme, with the admissions and discharges of the reporting period and the
people past their scheme's intended stay; and what the beds cost over the period by funding
source, the NHS-funded part named. Counts only: no person's reference is in a report."""

from collections import Counter
from decimal import Decimal

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures, counted
from caresight.core.tables import Column, Kind, Table, format_money, freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.governance.models import FundingSource

from . import selectors
from .models import NHS_FUNDING, SchemeKind

ZERO = Decimal("0.00")


def beds_table(rows: list[dict], *, as_of, period: str) -> Table:
    return Table(columns=[
        Column("label", "Kind of scheme", row_header=True),
        Column("schemes", "Schemes", kind=Kind.WHOLE, total=True),
        Column("commissioned", "Beds commissioned", kind=Kind.WHOLE, total=True),
        Column("occupied", "Occupied", kind=Kind.WHOLE, total=True),
        Column("free", "Free", kind=Kind.WHOLE, total=True),
        Column("admissions", "Admitted in the period", kind=Kind.WHOLE, total=True),
        Column("discharges", "Discharged in the period", kind=Kind.WHOLE, total=True),
        Column("overstays", "Past the intended stay", kind=Kind.WHOLE, total=True),
    ], rows=rows, title="Beds by kind of scheme",
        caption=f"Beds on {long_date(as_of)}; admissions and discharges {period}",
        empty_message="No bed scheme was running.")


def cost_table(rows: list[dict], *, period: str) -> Table:
    return Table(columns=[
        Column("label", "Funding source", row_header=True),
        Column("block", "Block beds", kind=Kind.MONEY, total=True),
        Column("spot", "Spot beds", kind=Kind.MONEY, total=True),
        Column("cost", "Cost", kind=Kind.MONEY, total=True),
    ], rows=rows, title="Cost of beds by funding source", caption=f"Cost of beds {period}",
        empty_message="No bed cost in the period.")


def _period(scope: ReportScope) -> str:
    if scope.period_from == scope.as_of:
        return f"on {long_date(scope.as_of)}"
    return f"from {long_date(scope.period_from)} to {long_date(scope.as_of)}"


def _days(scope: ReportScope) -> list[selectors.SchemeDay]:
    return [day for code in scope.authority_codes
            for day in selectors.scheme_days(user=scope.user, as_of=scope.as_of, authority=code)]


def _moves(scope: ReportScope) -> tuple[Counter, Counter]:
    """Admissions and discharges in the reporting period, by kind of scheme."""
    first, last = scope.period_from, scope.as_of
    placements = selectors.placement_list(user=scope.user, as_of=last).filter(
        scheme__authority__ons_code__in=list(scope.authority_codes))
    admitted: Counter = Counter()
    discharged: Counter = Counter()
    for kind, came, out in placements.order_by().values_list("scheme__kind", "admitted_on",
                                                             "discharged_on"):
        admitted[kind] += first <= came <= last
        discharged[kind] += out is not None and first <= out <= last
    return admitted, discharged


def _costs(scope: ReportScope) -> list[dict]:
    return [row for code in scope.authority_codes
            for row in selectors.costs(user=scope.user, date_from=scope.period_from,
                                       date_to=scope.as_of, authority=code)["rows"]]


def build(scope: ReportScope) -> SectionFigures:
    as_of, period = scope.as_of, _period(scope)
    on = long_date(as_of)
    days = _days(scope)
    admitted, discharged = _moves(scope)
    overstays = [p for code in scope.authority_codes
                 for p in selectors.overstays(user=scope.user, as_of=as_of, authority=code)]
    if not days and not admitted and not discharged:
        return {"paragraphs": [f"No bed scheme was running on {on}."], "tables": [],
                "charts": [], "based_on": 0}
    by_kind: dict[str, list] = {}
    for day in days:
        by_kind.setdefault(day.scheme.kind, []).append(day)
    over = Counter(p.scheme.kind for p in overstays)
    kinds = [k for k in SchemeKind.values if k in by_kind or admitted[k] or discharged[k]]
    rows = [{"label": SchemeKind(k).label, "schemes": len(by_kind.get(k, [])),
             "commissioned": sum(d.commissioned for d in by_kind.get(k, [])),
             "occupied": sum(d.occupied for d in by_kind.get(k, [])),
             "free": sum(d.free for d in by_kind.get(k, [])),
             "admissions": admitted[k], "discharges": discharged[k], "overstays": over[k]}
            for k in kinds]
    commissioned = sum(d.commissioned for d in days)
    occupied = sum(d.occupied for d in days)
    free = sum(d.free for d in days)
    paragraphs = [
        f"{counted(commissioned, 'bed')} commissioned in {counted(len(days), 'scheme')} on "
        f"{on}: {occupied:,} occupied and {free:,} free.",
        f"{counted(sum(admitted.values()), 'admission')} and "
        f"{counted(sum(discharged.values()), 'discharge')} {period}.",
    ]
    if overstays:
        longest = min(overstays, key=lambda p: (p.admitted_on, p.pk))  # the longest stay
        nights = (as_of - longest.admitted_on).days
        paragraphs.append(
            f"{counted(len(overstays), 'person', 'people')} past their scheme's intended stay "
            f"on {on}; the longest stay so far is {counted(nights, 'night')} (in a scheme that "
            f"intends at most {counted(longest.scheme.max_stay_days or 0, 'night')}).")
    else:
        paragraphs.append(f"Nobody was past their scheme's intended stay on {on}.")
    cost_rows, nhs, void = _cost_rows(_costs(scope))
    total = sum((r["cost"] for r in cost_rows), ZERO)
    paragraphs.append(
        f"{format_money(total)} spent on beds {period}, of which {format_money(nhs)} "
        f"NHS-funded and {format_money(void)} on block beds left empty.")
    return {"paragraphs": paragraphs,
            "tables": [freeze(beds_table(rows, as_of=as_of, period=period)),
                       freeze(cost_table(cost_rows, period=period))],
            "charts": [], "based_on": len(days)}


def _cost_rows(rows: list[dict]) -> tuple[list[dict], Decimal, Decimal]:
    """Each funding source's cost (block and spot) over the schemes' cost rows, the NHS-funded
    total and the cost of empty block beds."""
    block: dict[str, Decimal] = {}
    spot: dict[str, Decimal] = {}
    for row in rows:
        into = block if row["block"] else spot
        for source, amount in row["by_source"].items():
            into[source] = into.get(source, ZERO) + amount
    table = [{"label": label, "block": block.get(key, ZERO), "spot": spot.get(key, ZERO),
              "cost": block.get(key, ZERO) + spot.get(key, ZERO)}
             for key, label in FundingSource.choices if key in block or key in spot]
    nhs = sum((block.get(k, ZERO) + spot.get(k, ZERO) for k in NHS_FUNDING), ZERO)
    return table, nhs, sum((r["void_cost"] for r in rows), ZERO)


SECTION = ReportSection(
    key="beds", heading="Beds and hospital discharge",
    help="On the report's day, the beds commissioned, occupied and free by kind of scheme, "
    "with the admissions and discharges of the period and the people past their scheme's "
    "intended stay; what the beds cost over the period by funding source, NHS-funded named.",
    capability=Capability.VIEW_BEDS, build=build, kinds=("highlight", "committee"))
