"""The beds pages' tables: declared once for each page and its downloads (core.tables)."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.urls import reverse

from caresight.core.tables import Column, Kind, Link, Table
from caresight.core.timeutils import long_date
from caresight.governance.models import FundingSource
from caresight.registry.models import ClientGroup
from caresight.risk.models import Rating

from .models import CovidStatus, Destination, Pathway, PaymentBasis, SchemeKind, Source

RATING_COLOURS = {Rating.RED: "red", Rating.AMBER: "orange", Rating.GREEN: "green"}


def scheme_url(scheme) -> str:
    return reverse("beds:scheme-detail", args=[scheme.pk])


def placement_url(placement) -> str:
    return reverse("beds:placement-detail", args=[placement.pk])


def _share(rows: list, part: str, whole: str):
    def read(row, key):
        return (row.get(key) if isinstance(row, dict) else getattr(row, key)) or 0

    total = sum(read(r, whole) for r in rows)
    return round(sum(read(r, part) for r in rows) / total * 100, 1) if total else None


def _percent(part: int, whole: int):
    return round(part / whole * 100, 1) if whole else None


SCHEME = Column("scheme", "Scheme", value="scheme.name", row_header=True,
                link=lambda r: scheme_url(r["scheme"]))
KIND = Column("kind", "Kind", value="scheme.kind", choices=SchemeKind)
SERVICE = Column("service", "Service", value="scheme.location.name")
AUTHORITY = Column("authority", "Authority", value="scheme.authority.name")
LOCALITY = Column("locality", "Locality", empty="No locality",
                  value=lambda r: r["scheme"].location.locality.name
                  if r["scheme"].location.locality_id else "")


def _beds_columns(*, vacancies: bool = False) -> list[Column]:
    columns = [
        Column("commissioned", "Beds commissioned", kind=Kind.WHOLE, total=True),
        Column("occupied", "Occupied", kind=Kind.WHOLE, total=True),
        Column("free", "Free", kind=Kind.WHOLE, total=True),
        Column("occupancy", "% occupied", kind=Kind.PERCENT,
               value=lambda r: _percent(r["occupied"], r["commissioned"]),
               total=lambda rows: _share(rows, "occupied", "commissioned")),
    ]
    if vacancies:
        columns.append(Column("vacancies", "Vacant beds the service reports", kind=Kind.WHOLE,
                              empty="Not reported"))
    return columns


def scheme_days_table(days: Iterable, *, vacancies: dict[int, int], title: str) -> Table:
    """Each scheme on the day: its beds, who is in them and what is free, beside the vacant
    beds its service's own current return reports."""
    rows = [{"scheme": d.scheme, "commissioned": d.commissioned, "occupied": d.occupied,
             "free": d.free, "vacancies": vacancies.get(d.scheme.location_id)} for d in days]
    return Table(columns=[
        SCHEME,
        Column("authority", "Authority", value="scheme.authority.name", page=False),
        KIND,
        Column("service", "Service", value="scheme.location.name",
               hint=lambda r: r["scheme"].location.locality_label),
        Column("cqc_location_id", "CQC location ID", value="scheme.location.cqc_location_id",
               page=False),
        Column("locality", "Locality", value=lambda r: r["scheme"].location.locality_label,
               page=False),
        Column("funding_source", "Funding source", value="scheme.funding_source",
               choices=FundingSource),
        Column("payment_basis", "Paid for", value="scheme.payment_basis",
               choices={PaymentBasis.BLOCK: "Block", PaymentBasis.SPOT: "Spot"}),
        *_beds_columns(vacancies=True),
    ], rows=rows, title=title, testid="schemes",
        empty_message="No scheme was running on this day.")


def grouped_table(groups: list[dict], *, header: str, title: str, testid: str = "") -> Table:
    """Beds commissioned, occupied and free by one grouping (kind, locality, funding…)."""
    return Table(columns=[
        Column("label", header, row_header=True),
        Column("schemes", "Schemes", kind=Kind.WHOLE, total=True),
        *_beds_columns(),
    ], rows=groups, title=title, testid=testid, empty_message="No scheme was running.")


def location_schemes_table(days: Iterable, *, as_of: dt.date) -> Table:
    """A service's schemes on a day (its page on the register)."""
    rows = [{"scheme": d.scheme, "commissioned": d.commissioned, "occupied": d.occupied,
             "free": d.free} for d in days]
    return Table(columns=[SCHEME, KIND, *_beds_columns()], rows=rows,
                 title=f"Commissioned beds on {long_date(as_of)}", caption_hidden=True,
                 testid="location-beds")


# --- Brokerage ---------------------------------------------------------------------------

def free_by_group_table(groups: list[dict]) -> Table:
    return Table(columns=[
        Column("label", "Client group", row_header=True),
        Column("free", "Free beds", kind=Kind.WHOLE),
        Column("schemes", "Schemes with a free bed", kind=Kind.WHOLE),
    ], rows=groups, title="Free beds by client group", testid="free-by-group",
        empty_message="No free bed for any client group.")


def _outbreak_text(row) -> str | None:
    outbreak = row["outbreak"]
    if outbreak is None:
        return None
    return (f"{outbreak.get_kind_display()} outbreak since {long_date(outbreak.reported_on)}"
            + (": admissions closed" if outbreak.admissions_closed else ""))


def _flag(row) -> str | None:
    reasons = []
    if row["outbreak"] is not None:
        reasons.append("Live outbreak")
    if row["scheme"].kind == SchemeKind.DESIGNATED_SETTING:
        reasons.append("Designated setting")
    return " · ".join(reasons) or None


def brokerage_table(rows: list[dict], *, sees_outbreaks: bool) -> Table:
    """Each scheme with a free bed: its service's open outbreak and risk rating, flagged
    where a placement needs thought."""
    columns = [
        SCHEME, SERVICE, LOCALITY, KIND,
        Column("client_groups", "Client groups", value="scheme.client_groups",
               choices=ClientGroup, bullets=True, empty="Any"),
        Column("free", "Free beds", kind=Kind.WHOLE, total=True),
        Column("flag", "Check before placing", value=_flag, empty="",
               tag_colour=lambda v: "red" if v and "outbreak" in v else "yellow" if v else None,
               testid=lambda r: f"flag-{r['scheme'].pk}"),
    ]
    if sees_outbreaks:
        columns += [
            Column("outbreak", "Open outbreak", value=_outbreak_text, empty="None"),
            Column("rating", "Risk rating", choices=Rating, tag_colour=RATING_COLOURS.get,
                   empty="Not rated"),
        ]
    return Table(columns=columns, rows=rows, title="Schemes with a free bed",
                 testid="brokerage", empty_message="No scheme has a free bed on this day.")


# --- Placements --------------------------------------------------------------------------

REFERENCE = Column("person_reference", "Person", value="placement.person_reference",
                   row_header=True, link=lambda r: placement_url(r["placement"]))
PLACEMENT_SCHEME = Column("scheme", "Scheme", value="placement.scheme.name",
                          link=lambda r: scheme_url(r["placement"].scheme))


def placements_table(rows: list[dict], *, title: str) -> Table:
    """Placements as they stood on a day (rows: {"placement", and selectors.as_it_stood})."""
    return Table(columns=[
        REFERENCE, PLACEMENT_SCHEME,
        Column("authority", "Authority", value="placement.scheme.authority.name", page=False),
        Column("bed_number", "Bed", value="placement.bed_number", kind=Kind.WHOLE),
        Column("source", "From", value=lambda r: _from_text(r["placement"])),
        Column("admitted_on", "Admitted", value="placement.admitted_on", kind=Kind.DATE),
        Column("expected_discharge_on", "Expected discharge",
               value="placement.expected_discharge_on", kind=Kind.DATE, empty="Not given"),
        Column("discharged_on", "Discharged", kind=Kind.DATE, empty="Still placed"),
        Column("destination", "Destination", choices=Destination, empty=""),
        Column("nights", "Nights", kind=Kind.WHOLE),
        Column("covid_status", "COVID-19 status on admission",
               value="placement.covid_status", choices=CovidStatus),
        Column("pathway", "Pathway", value="placement.pathway", choices=Pathway),
        Column("funding_source", "Funding source", value="placement.funding_source",
               choices=FundingSource, page=False),
        Column("status", "Status", value=lambda r: "Overstaying" if r["overstaying"] else None,
               empty="", tag_colour=lambda v: "red" if v else None, download=False),
        Column("overstaying", "Overstaying", page=False),
    ], rows=rows, title=title, testid="placements",
        empty_message="No placement matches on this day.")


def _from_text(placement) -> str:
    if placement.source != Source.HOSPITAL:
        return placement.get_source_display()
    where = ", ".join(p for p in (placement.hospital_site, placement.hospital_trust) if p)
    return f"Hospital: {where}" if where else "Hospital"


def overstays_table(placements: list, *, as_of: dt.date) -> Table:
    def nights(p):
        return (as_of - p.admitted_on).days

    return Table(columns=[
        Column("person_reference", "Person", row_header=True, link=placement_url),
        Column("scheme", "Scheme", value="scheme.name", link=lambda p: scheme_url(p.scheme)),
        Column("admitted_on", "Admitted", kind=Kind.DATE),
        Column("nights", "Nights so far", value=nights, kind=Kind.WHOLE),
        Column("max_stay_days", "Intended stay (days)", value="scheme.max_stay_days",
               kind=Kind.WHOLE),
        Column("over", "Days over", value=lambda p: nights(p) - p.scheme.max_stay_days,
               kind=Kind.WHOLE),
        Column("placed_by", "Placed by", value=lambda p: str(p.placed_by) if p.placed_by
               else None, empty="Not recorded"),
    ], rows=placements, title=f"Overstays on {long_date(as_of)}", testid="overstays",
        empty_message="Nobody is past their scheme's intended stay.")


def ending_table(placements: list, *, ends: dict[int, dt.date], as_of: dt.date) -> Table:
    return Table(columns=[
        Column("person_reference", "Person", row_header=True, link=placement_url),
        Column("scheme", "Scheme", value="scheme.name", link=lambda p: scheme_url(p.scheme)),
        Column("admitted_on", "Admitted", kind=Kind.DATE),
        Column("ends_on", "Expected to leave", value=lambda p: ends.get(p.pk), kind=Kind.DATE),
        Column("basis", "Because", value=lambda p: "Expected discharge"
               if p.expected_discharge_on else "End of the intended stay"),
    ], rows=placements, title=f"Placements ending in the week from {long_date(as_of)}",
        testid="ending", empty_message="Nobody is expected to leave this week.")


def past_expected_table(placements: list, *, as_of: dt.date) -> Table:
    return Table(columns=[
        Column("person_reference", "Person", row_header=True, link=placement_url),
        Column("scheme", "Scheme", value="scheme.name", link=lambda p: scheme_url(p.scheme)),
        Column("admitted_on", "Admitted", kind=Kind.DATE),
        Column("expected_discharge_on", "Expected to leave", kind=Kind.DATE),
        Column("days_over", "Days over", kind=Kind.WHOLE,
               value=lambda p: (as_of - p.expected_discharge_on).days),
    ], rows=placements, title=f"Still in a bed after their expected discharge on "
                              f"{long_date(as_of)}", testid="past-expected",
        empty_message="Nobody is still in a bed after their expected discharge.")


def linked_table(placements) -> Table:
    return Table(columns=[
        Column("person_reference", "Person", row_header=True, link=placement_url),
        Column("scheme", "Scheme", value="scheme.name"),
        Column("admitted_on", "Admitted", kind=Kind.DATE),
        Column("discharged_on", "Discharged", kind=Kind.DATE, empty="Still placed"),
        Column("destination", "Destination", choices=Destination, empty=""),
    ], rows=placements, title="The same person's other placements", testid="linked",
        empty_message="No other placement of this person.")


def scheme_placements_table(placements, *, as_of: dt.date, can_place: bool) -> Table:
    def links(p) -> list[Link]:
        hidden = f" of {p.person_reference}"
        if not can_place:
            return []
        return [Link("Discharge", reverse("beds:placement-discharge", args=[p.pk]), hidden)]

    return Table(columns=[
        Column("bed_number", "Bed", kind=Kind.WHOLE, row_header=True),
        Column("person_reference", "Person", link=placement_url),
        Column("admitted_on", "Admitted", kind=Kind.DATE),
        Column("expected_discharge_on", "Expected discharge", kind=Kind.DATE,
               empty="Not given"),
        Column("covid_status", "COVID-19 status on admission", choices=CovidStatus),
        Column("actions", "Actions", value=lambda p: "", links=links, empty="",
               header_hidden=True),
    ], rows=placements, title=f"In a bed on {long_date(as_of)}", testid="current",
        empty_message="Nobody is in a bed.")


# --- Schemes -----------------------------------------------------------------------------

def scheme_list_table(days: Iterable) -> Table:
    rows = [{"scheme": d.scheme, "commissioned": d.commissioned, "occupied": d.occupied,
             "free": d.free} for d in days]
    return Table(columns=[
        SCHEME, AUTHORITY, KIND, SERVICE,
        Column("starts_on", "From", value="scheme.starts_on", kind=Kind.DATE),
        Column("ends_on", "To", value="scheme.ends_on", kind=Kind.DATE, empty="Running"),
        Column("weekly_rate", "Weekly rate per bed", value="scheme.weekly_rate",
               kind=Kind.MONEY),
        Column("commissioned", "Beds today", kind=Kind.WHOLE, total=True),
        Column("free", "Free today", kind=Kind.WHOLE, total=True),
    ], rows=rows, title="Bed schemes", testid="scheme-list",
        empty_message="No bed scheme yet.")


def capacity_table(capacities) -> Table:
    return Table(columns=[
        Column("from_date", "From", kind=Kind.DATE, row_header=True),
        Column("beds", "Beds", kind=Kind.WHOLE),
        Column("note", "Why", empty=""),
    ], rows=capacities, title="Beds over time", caption_size="m", testid="capacity")


# --- Stays -------------------------------------------------------------------------------

def stays_table(stats: dict) -> Table:
    rows = [*stats["by_kind"], {"label": "All schemes", **{k: stats[k] for k in (
        "discharged", "mean_nights", "median_nights", "longest_nights")}}]
    return Table(columns=[
        Column("label", "Kind of scheme", row_header=True),
        Column("discharged", "People discharged", kind=Kind.WHOLE),
        Column("mean_nights", "Mean stay (nights)", kind=Kind.NUMBER),
        Column("median_nights", "Median stay (nights)", kind=Kind.NUMBER),
        Column("longest_nights", "Longest stay (nights)", kind=Kind.WHOLE),
    ], rows=rows, title="Lengths of stay", testid="stays")


def destinations_table(stats: dict) -> Table:
    total = stats["discharged"]
    return Table(columns=[
        Column("label", "Destination", row_header=True),
        Column("count", "People", kind=Kind.WHOLE, total=True),
        Column("share", "Share", kind=Kind.PERCENT,
               value=lambda r: _percent(r["count"], total)),
    ], rows=stats["destinations"], title="Where people went on discharge",
        testid="destinations")


# --- Sitrep ------------------------------------------------------------------------------

def sitrep_table(sitrep: dict) -> Table:
    return Table(columns=[
        Column("label", "Kind of scheme", row_header=True),
        Column("schemes", "Schemes", kind=Kind.WHOLE, total=True),
        Column("commissioned", "Beds", kind=Kind.WHOLE, total=True),
        Column("occupied", "Occupied", kind=Kind.WHOLE, total=True),
        Column("free", "Free", kind=Kind.WHOLE, total=True),
        Column("admissions", "Admissions in the last 24 hours", kind=Kind.WHOLE, total=True),
        Column("discharges", "Discharges in the last 24 hours", kind=Kind.WHOLE, total=True),
    ], rows=sitrep["rows"], title=f"Beds sitrep as at 08:00 on {long_date(sitrep['as_of'])}",
        key="sitrep", testid="sitrep", totals_testid="sitrep-total", download_totals=True,
        empty_message="No scheme was running overnight.")


# --- Money -------------------------------------------------------------------------------

def costs_table(costs: dict) -> Table:
    def sources(row) -> str:
        return "; ".join(f"{FundingSource(k).label}" for k in row["by_source"]) or ""

    return Table(columns=[
        Column("scheme", "Scheme", value="scheme.name", row_header=True,
               link=lambda r: scheme_url(r["scheme"])),
        Column("authority", "Authority", value="scheme.authority.name", page=False),
        Column("kind", "Kind", value="scheme.kind", choices=SchemeKind,
               hint=lambda r: "Block beds" if r["block"] else "Spot beds"),
        Column("basis", "Paid for", value=lambda r: "Block" if r["block"] else "Spot",
               page=False),
        Column("funding", "Funded by", value=sources, empty=""),
        Column("weekly_rate", "Weekly rate per bed", value="scheme.weekly_rate",
               kind=Kind.MONEY),
        Column("commissioned_nights", "Bed-nights commissioned", kind=Kind.WHOLE, total=True),
        Column("occupied_nights", "Bed-nights occupied", kind=Kind.WHOLE, total=True),
        Column("cost", "Cost", kind=Kind.MONEY, total=True),
        Column("void_nights", "Void block bed-nights", kind=Kind.WHOLE, total=True,
               page=False),
        Column("void_cost", "Void block cost", kind=Kind.MONEY, total=True),
    ], rows=costs["rows"], title="Cost by scheme", testid="costs", download_totals=True,
        empty_message="No scheme ran in this period.")


def cost_by_source_table(costs: dict) -> Table:
    return Table(columns=[
        Column("label", "Funding source", row_header=True),
        Column("cost", "Cost", kind=Kind.MONEY, total=True),
    ], rows=costs["by_source"], title="Cost by funding source", testid="by-source")


def block_spot_table(costs: dict) -> Table:
    total = costs["cost"]
    rows = [{"label": "Block (paid whether occupied or not)", "cost": costs["block_cost"],
             "schemes": sum(1 for r in costs["rows"] if r["block"])},
            {"label": "Spot (paid when occupied)", "cost": costs["spot_cost"],
             "schemes": sum(1 for r in costs["rows"] if not r["block"])}]
    return Table(columns=[
        Column("label", "Paid for", row_header=True),
        Column("schemes", "Schemes", kind=Kind.WHOLE, total=True),
        Column("cost", "Cost", kind=Kind.MONEY, total=True),
        Column("share", "Share of the cost", kind=Kind.PERCENT,
               value=lambda r: round(r["cost"] / total * 100, 1) if total else None),
    ], rows=rows, title="Block and spot", testid="block-spot")


def reconciliation_table(rows: list[dict]) -> Table:
    return Table(columns=[
        Column("month", "Month", value=lambda r: f"{r['month']:%B %Y}", row_header=True),
        Column("to", "Costed to", kind=Kind.DATE),
        Column("nhs_cost", "NHS-funded cost", kind=Kind.MONEY, total=True),
        Column("claimed", "Claimed", kind=Kind.MONEY, total=True),
        # The month not yet over cannot be claimed yet, so it is left out of the total.
        Column("difference", "Still to claim", kind=Kind.MONEY,
               total=lambda rows: sum((r["difference"] for r in rows if r["complete"]),
                                      Decimal("0.00"))),
        Column("state", "Reconciled", value=lambda r: _state(r), empty="",
               tag_colour=lambda v: {"Under-claimed": "orange", "Over-claimed": "red",
                                     "Matches": "green"}.get(v), download=False),
    ], rows=rows, title="NHS-funded costs and claims, month by month",
        testid="reconciliation")


def _state(row) -> str:
    if not row["complete"]:
        return "Month not over"
    if not row["nhs_cost"] and not row["claimed"]:
        return "No NHS-funded beds"
    if row["difference"] > 0:
        return "Under-claimed"
    if row["difference"] < 0:
        return "Over-claimed"
    return "Matches"


def claims_table(claims) -> Table:
    return Table(columns=[
        Column("month", "Month", value=lambda c: f"{c.month:%B %Y}", row_header=True),
        Column("authority", "Council", value="authority.name"),
        Column("claimed_from", "Claimed from", value="claimed_from.name"),
        Column("amount", "Amount", kind=Kind.MONEY, total=True),
        Column("submitted_on", "Submitted", kind=Kind.DATE),
        Column("reference", "Reference", empty=""),
    ], rows=claims, title="Claims recorded", testid="claims",
        empty_message="No claim recorded yet.")
