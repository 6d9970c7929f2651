"""`caresight export beds|placements --as-of DATE` and `caresight summary beds`: the operator's
tables and summary on a day (the day is --as-of, or --to; default today)."""

from collections import Counter

from django.core.management.base import CommandError
from django.utils import timezone

from caresight.core.cli import add_authority_argument
from caresight.core.summaries import Summary
from caresight.core.tables import Column, Kind, Table
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument, long_date
from caresight.governance.models import FundingSource

from . import selectors
from .models import CovidStatus, Destination, Pathway, PaymentBasis, SchemeKind, Source

SCHEME_COLUMNS = [
    Column("authority", "Authority", "scheme.authority.name"),
    Column("authority_code", "Authority code", "scheme.authority.ons_code"),
    Column("scheme", "Scheme", "scheme.name"),
    Column("kind", "Kind of scheme", "scheme.kind", choices=SchemeKind),
    Column("service", "Service", "scheme.location.name"),
    Column("cqc_location_id", "CQC location ID", "scheme.location.cqc_location_id"),
    Column("locality", "Locality", "scheme.location.locality.name"),
    Column("funding_source", "Funding source", "scheme.funding_source",
           choices=FundingSource),
    Column("payment_basis", "Basis", "scheme.payment_basis", choices=PaymentBasis),
    Column("weekly_rate", "Weekly rate per bed", "scheme.weekly_rate", kind=Kind.MONEY),
    Column("commissioned", "Beds commissioned", kind=Kind.WHOLE, total=True),
    Column("occupied", "Occupied", kind=Kind.WHOLE, total=True),
    Column("free", "Free", kind=Kind.WHOLE, total=True),
    Column("overstays", "Overstays", kind=Kind.WHOLE, total=True),
]

# Never the NHS number's hash: a placement is known by its pseudonymous reference only.
PLACEMENT_COLUMNS = [
    Column("authority_code", "Authority code", "placement.scheme.authority.ons_code"),
    Column("scheme", "Scheme", "placement.scheme.name"),
    Column("bed", "Bed", "placement.bed_number", kind=Kind.WHOLE),
    Column("person_reference", "Person reference", "placement.person_reference"),
    Column("source", "From", "placement.source", choices=Source),
    Column("hospital_trust", "Hospital trust", "placement.hospital_trust"),
    Column("hospital_site", "Hospital site", "placement.hospital_site"),
    Column("admitted_on", "Admitted", "placement.admitted_on", kind=Kind.DATE),
    Column("expected_discharge_on", "Expected discharge", "placement.expected_discharge_on",
           kind=Kind.DATE),
    Column("discharged_on", "Discharged", "stood.discharged_on", kind=Kind.DATE),
    Column("destination", "Destination", "stood.destination", choices=Destination),
    Column("covid_status", "COVID-19 status", "placement.covid_status", choices=CovidStatus),
    Column("pathway", "Pathway", "placement.pathway", choices=Pathway),
    Column("funding_source", "Funding source", "placement.funding_source",
           choices=FundingSource),
    Column("nights", "Nights", "stood.nights", kind=Kind.WHOLE),
    Column("overstaying", "Overstaying", lambda row: "Yes" if row["stood"]["overstaying"]
           else "No"),
]


def schemes_table(days: list[selectors.SchemeDay], *, as_of, overstays: Counter) -> Table:
    """Each scheme running on `as_of`: its beds, occupied, free and overstays that day."""
    rows = [{"scheme": d.scheme, "commissioned": d.commissioned, "occupied": d.occupied,
             "free": d.free, "overstays": overstays.get(d.scheme.pk, 0)} for d in days]
    return Table(columns=SCHEME_COLUMNS, rows=rows, title=f"Bed schemes on {long_date(as_of)}",
                 key="bed_schemes", empty_message="No bed scheme is running on this day.")


def placements_table(placements, *, as_of) -> Table:
    """Placements admitted by `as_of`, as they stood that day (a later discharge not shown)."""
    rows = ({"placement": p, "stood": selectors.as_it_stood(p, as_of)} for p in placements)
    return Table(columns=PLACEMENT_COLUMNS, rows=rows,
                 title=f"Placements on {long_date(as_of)}", key="placements",
                 empty_message="Nobody was placed by this day.")


def beds_export(*, authority_codes=None, date_from=None, date_to=None) -> Table:
    as_of = date_to or timezone.localdate()
    days = selectors.scheme_days(user=OPERATOR, as_of=as_of)
    stays = selectors.overstays(user=OPERATOR, as_of=as_of)
    if authority_codes:
        codes = set(authority_codes)
        days = [d for d in days if d.scheme.authority.ons_code in codes]
        stays = [p for p in stays if p.scheme.authority.ons_code in codes]
    days.sort(key=lambda d: (d.scheme.authority.name, d.scheme.name, d.scheme.pk))
    return schemes_table(days, as_of=as_of, overstays=Counter(p.scheme_id for p in stays))


def placements_export(*, authority_codes=None, date_from=None, date_to=None) -> Table:
    as_of = date_to or timezone.localdate()
    placements = selectors.placement_list(user=OPERATOR, as_of=as_of).select_related(
        "scheme__authority")
    if authority_codes:
        placements = placements.filter(scheme__authority__ons_code__in=list(authority_codes))
    placements = placements.order_by("scheme__authority__name", "scheme__name",
                                     "admitted_on", "pk")
    return placements_table(placements.iterator(chunk_size=2000), as_of=as_of)


# --- `caresight summary beds` --------------------------------------------------------------


def _arguments(parser) -> None:
    parser.add_argument("--as-of", type=date_argument, metavar="DATE",
                        help="the day to summarise (YYYY-MM-DD; default today)")
    add_authority_argument(parser, single=True, help="one authority; default: every one")


def _run(*, as_of=None, authority=None, **options) -> tuple[dict, list[str]]:
    as_of = as_of or timezone.localdate()
    if authority is not None and not authority.authorities:
        raise CommandError(f"Unknown authority code {authority.code!r}.")
    summary = selectors.summary(user=OPERATOR, as_of=as_of,
                                authority=authority.code if authority else None)
    where = f" in {authority.authorities[0].name}" if authority else ""
    lines = [f"Beds on {long_date(as_of)}{where}: {summary['commissioned']} commissioned, "
             f"{summary['occupied']} occupied, {summary['free']} free; "
             f"{summary['overstays']} overstaying."]
    for row in summary["by_kind"].values():
        lines.append(f"  {row['label']}: {row['commissioned']} commissioned, "
                     f"{row['occupied']} occupied, {row['free']} free "
                     f"({row['schemes']} scheme{'' if row['schemes'] == 1 else 's'})")
    return summary, lines


SUMMARY = Summary(
    name="beds",
    help="commissioned bed schemes on a day: beds commissioned, occupied and free, by kind "
    "of scheme, and the people past their scheme's intended stay",
    add_arguments=_arguments, run=_run)
