"""The Infection Control Fund of the generated reports: each round's position on the report's
day (allocated, paid, withheld, still to pay, instalments due) and seed 001's proportion of
funding spent, by category. Money stays Decimal until it is frozen (as strings)."""

from decimal import Decimal

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures, counted
from caresight.core.tables import Column, Kind, Table, format_money, freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables

ZERO = Decimal("0.00")


def position_table(rows: list[dict], *, as_of) -> Table:
    return Table(columns=[
        Column("round", "Round", row_header=True),
        Column("authority", "Authority"),
        Column("allocated", "Allocated", kind=Kind.MONEY, total=True),
        Column("paid", "Paid", kind=Kind.MONEY, total=True),
        Column("withheld", "Withheld", kind=Kind.MONEY, total=True),
        Column("still_to_pay", "Still to pay", kind=Kind.MONEY, total=True),
        Column("spent", "Spent (reported)", kind=Kind.MONEY, total=True),
    ], rows=rows, title="Infection Control Fund position",
        caption=f"Infection Control Fund on {long_date(as_of)}")


def instalments_table(rows: list[dict]) -> Table:
    return Table(columns=[
        Column("round", "Round", row_header=True),
        Column("number", "Instalment", kind=Kind.WHOLE),
        Column("due_on", "Due", kind=Kind.DATE),
        Column("paid", "Paid", kind=Kind.MONEY, total=True),
        Column("providers_paid", "Providers paid", kind=Kind.WHOLE),
        Column("withheld", "Withheld", kind=Kind.MONEY, total=True),
        Column("withheld_services", "Services withheld", kind=Kind.WHOLE),
        Column("state", "Position"),
    ], rows=rows, title="Instalments")


def _state(instalment: dict, *, as_of) -> str:
    if instalment["runs"]:
        return "Paid"
    return "Past due, not paid" if instalment["due_on"] < as_of else "Due"


def build(scope: ReportScope) -> SectionFigures:
    as_of = scope.as_of
    on = long_date(as_of)
    rounds = list(selectors.round_list(user=scope.user).filter(
        authority__ons_code__in=list(scope.authority_codes), eligibility_date__lte=as_of,
        confirmed_at__date__lte=as_of).order_by("authority__name", "eligibility_date", "pk"))
    # A whole round's figures are for its officers (a provider's staff see only their part).
    rounds = [r for r in rounds if selectors.is_officer(scope.user, r)]
    if not rounds:
        return {"paragraphs": [f"No Infection Control Fund round confirmed by {on}."],
                "tables": [], "charts": [], "based_on": 0}
    positions, instalments, spend_tables = [], [], []
    due_next: list[tuple] = []
    providers = 0
    for round in rounds:
        report = selectors.government_return(round, as_of=as_of)
        by_number = {i["number"]: i for i in report["instalments"]}
        states = selectors.instalments_on(round, as_of=as_of)
        allocated = report["allocated"] + report["adjusted"]
        withheld = sum((i["withheld"] for i in states), ZERO)
        positions.append({"round": round.name, "authority": report["authority_name"],
                          "allocated": allocated, "paid": report["paid"] - report["recovered"],
                          "withheld": withheld,
                          "still_to_pay": allocated - report["paid"],
                          "spent": report["spent"]})
        for state in states:
            paid = by_number.get(state["number"], {})
            instalments.append({"round": round.name, **state, "paid": paid.get("paid", ZERO),
                                "providers_paid": paid.get("providers_paid", 0),
                                "state": _state(state, as_of=as_of)})
            if not state["runs"]:
                due_next.append((state["due_on"], round.name, state["number"]))
        providers += report["providers_allocated"]
        spend = tables.return_spend_table(report)
        spend.title = f"{round.name}: proportion of funding spent"
        spend_tables.append(freeze(spend))
    totals = {key: sum((p[key] for p in positions), ZERO)
              for key in ("allocated", "paid", "withheld", "still_to_pay", "spent")}
    paragraphs = [
        f"{format_money(totals['allocated'])} allocated from "
        f"{counted(len(rounds), 'round')} of the Infection Control Fund on {on}, to "
        f"{counted(providers, 'provider')}: {format_money(totals['paid'])} paid, "
        f"{format_money(totals['withheld'])} withheld, {format_money(totals['still_to_pay'])} "
        "still to pay.",
    ]
    for due_on, name, number in sorted(due_next):
        verb = "was due" if due_on < as_of else "is due"
        paragraphs.append(f"Instalment {number} of {name} {verb} on {long_date(due_on)}.")
    paragraphs.append(f"{format_money(totals['spent'])} spent, as reported by providers.")
    return {"paragraphs": paragraphs,
            "tables": [freeze(position_table(positions, as_of=as_of)),
                       freeze(instalments_table(instalments)), *spend_tables],
            "charts": [], "based_on": providers}


SECTION = ReportSection(
    key="infection_control_fund", heading="Infection Control Fund",
    help="Each round's position on the report's day (allocated, paid, withheld, still to "
    "pay), its instalments and when they are due, and the proportion of funding spent by "
    "category.",
    capability=Capability.VIEW_GRANTS, build=build)
