"""Reads for beds: schemes, placements, occupancy on any day, brokerage, stays, the sitrep and
money. Every read goes through the tenancy door and takes the day it is for.

Occupancy counts nights: a placement fills its bed on each day from its admission up to, not
including, its discharge day. A scheme counts on a day from its start to its end date.
"""

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.tenancy import Capability

from .models import (
    NHS_FUNDING,
    BedCapacity,
    BedScheme,
    Destination,
    NhsClaim,
    PaymentBasis,
    Placement,
    SchemeKind,
)

C = Capability
PENNY = Decimal("0.01")
DAYS_AHEAD = 6  # "ending this week": expected to leave today or in the next six days


def scheme_list(*, user, capability: Capability = C.VIEW_BEDS, authority: str | None = None,
                as_of: dt.date | None = None) -> QuerySet[BedScheme]:
    """The schemes `user` may use `capability` on (running on `as_of`, if given)."""
    schemes = tenancy.in_scope(user, capability, BedScheme).select_related(
        "authority", "location", "location__locality", "commissioned_by")
    if authority:
        schemes = schemes.filter(authority__ons_code=authority.upper())
    if as_of is not None:
        schemes = running_on(schemes, as_of)
    return schemes


def running_on(schemes: QuerySet[BedScheme], day: dt.date) -> QuerySet[BedScheme]:
    return schemes.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True)
                                                     | Q(ends_on__gte=day))


def with_beds_on(schemes: QuerySet[BedScheme], day: dt.date) -> QuerySet[BedScheme]:
    """Annotate each scheme with `beds_then`: its capacity on `day`."""
    latest = (BedCapacity.objects.filter(scheme=OuterRef("pk"), from_date__lte=day)
              .order_by("-from_date").values("beds")[:1])
    return schemes.annotate(beds_then=Subquery(latest))


def occupying_on(placements: QuerySet[Placement], day: dt.date) -> QuerySet[Placement]:
    """The placements in a bed on the night of `day`."""
    return placements.filter(admitted_on__lte=day).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gt=day))


def occupied_counts(scheme_ids: Iterable[int] | None, day: dt.date) -> dict[int, int]:
    """scheme ID -> beds occupied on `day` (every scheme when `scheme_ids` is None)."""
    placements = Placement.objects.all()
    if scheme_ids is not None:
        placements = placements.filter(scheme_id__in=list(scheme_ids))
    return dict(occupying_on(placements, day).order_by().values("scheme_id")
                .annotate(n=Count("pk")).values_list("scheme_id", "n"))


@dataclass
class SchemeDay:
    """A scheme on one day: its beds, who is in them and what is free."""

    scheme: BedScheme
    commissioned: int
    occupied: int

    @property
    def free(self) -> int:
        return max(self.commissioned - self.occupied, 0)


def days_of(schemes: QuerySet[BedScheme], day: dt.date, *, every_scheme: bool = False
            ) -> list[SchemeDay]:
    """Each of `schemes` with its beds commissioned and occupied on `day` (every_scheme: the
    placements of every scheme are counted at once, cheaper than naming thousands)."""
    found = list(with_beds_on(schemes, day))
    occupied = occupied_counts(None if every_scheme else [s.pk for s in found], day)
    # A scheme that has ended (or not begun) has no beds that day, whatever its last capacity.
    return [SchemeDay(s, (s.beds_then or 0) if _running(s, day) else 0,  # type: ignore[attr-defined]
                      occupied.get(s.pk, 0))
            for s in found]


def _running(scheme: BedScheme, day: dt.date) -> bool:
    return scheme.starts_on <= day and (scheme.ends_on is None or scheme.ends_on >= day)


def scheme_days(*, user, as_of: dt.date, authority: str | None = None,
                capability: Capability = C.VIEW_BEDS) -> list[SchemeDay]:
    """Each scheme running on `as_of` with its beds commissioned and occupied that day."""
    return days_of(scheme_list(user=user, capability=capability, authority=authority,
                               as_of=as_of), as_of,
                   every_scheme=tenancy.scope(user, capability).everywhere and not authority)


@dataclass(frozen=True)
class SchemeFigures:
    """What the totals and groupings read of a scheme on a day, without loading it."""

    pk: int
    authority_id: int
    kind: str
    locality: str  # the name of its service's locality; "" when it has none
    funding_source: str
    payment_basis: str
    commissioned: int
    occupied: int

    @property
    def free(self) -> int:
        return max(self.commissioned - self.occupied, 0)


def scheme_figures(*, user, as_of: dt.date, authority: str | None = None,
                   capability: Capability = C.VIEW_BEDS, authority_codes=()
                   ) -> list[SchemeFigures]:
    """scheme_days' figures as plain values: nationally there are thousands of schemes, and
    loading each with its service costs far more than the figures need."""
    schemes = scheme_list(user=user, capability=capability, authority=authority, as_of=as_of)
    if authority_codes:
        schemes = schemes.filter(authority__ons_code__in=[c.upper() for c in authority_codes])
    rows = list(with_beds_on(schemes, as_of).order_by().values_list(  # type: ignore[misc]
        "pk", "authority_id", "kind", "location__locality__name", "funding_source",
        "payment_basis", "beds_then"))
    everywhere = (tenancy.scope(user, capability).everywhere and authority is None
                  and not authority_codes)
    occupied = occupied_counts(None if everywhere else [row[0] for row in rows], as_of)
    return [SchemeFigures(pk, authority_id, kind, locality or "", funding, basis, beds or 0,
                          occupied.get(pk, 0))
            for pk, authority_id, kind, locality, funding, basis, beds in rows]


Counted = SchemeDay | SchemeFigures


def _totals(days: Iterable[Counted]) -> dict[str, int]:
    days = list(days)
    commissioned = sum(d.commissioned for d in days)
    occupied = sum(d.occupied for d in days)
    return {"schemes": len(days), "commissioned": commissioned, "occupied": occupied,
            "free": sum(d.free for d in days)}


def _grouped(days: Sequence[Counted], key, labels: dict[str, str]) -> list[dict]:
    groups: dict[str, list[Counted]] = defaultdict(list)
    for day in days:
        groups[key(day)].append(day)
    order = list(labels)
    return [{"key": k, "label": labels.get(k, k or "No locality"), **_totals(groups[k])}
            for k in sorted(groups, key=lambda k: (order.index(k) if k in order else len(order),
                                                   k or "~"))]


def occupancy(*, user, as_of: dt.date, authority: str | None = None) -> dict:
    """Beds commissioned, occupied and free on `as_of`: in all, and by kind, locality,
    funding source and payment basis (each scheme's row is scheme_days')."""
    from caresight.governance.models import FundingSource

    days = scheme_figures(user=user, as_of=as_of, authority=authority)
    localities = {d.locality: d.locality for d in days if d.locality}
    return {
        "as_of": as_of,
        **_totals(days),
        "by_kind": _grouped(days, lambda d: d.kind, dict(SchemeKind.choices)),
        "by_locality": _grouped(days, lambda d: d.locality, dict(sorted(localities.items()))),
        "by_funding": _grouped(days, lambda d: d.funding_source, dict(FundingSource.choices)),
        "by_basis": _grouped(days, lambda d: d.payment_basis, dict(PaymentBasis.choices)),
    }


def vacancies_reported(*, schemes: list[BedScheme], as_of: dt.date) -> dict[int, int]:
    """location ID -> the vacant beds the service's own current return reports on `as_of`."""
    from caresight.registry.models import Location
    from caresight.returns.selectors import current_numbers

    ids = {s.location_id for s in schemes}
    if not ids:
        return {}
    numbers = current_numbers(Location.objects.filter(pk__in=ids), as_of, ["beds_vacant"])
    return {pk: int(n["beds_vacant"]) for pk, n in numbers.items() if "beds_vacant" in n}


def summary(*, user, as_of: dt.date, authority: str | None = None) -> dict:
    """What `caresight summary beds` prints: commissioned, occupied, free, by kind and the
    overstays on `as_of`."""
    found = occupancy(user=user, as_of=as_of, authority=authority)
    # Counted in SQL: the same placements as overstays(), without loading them.
    stays = _overstaying_placements(user=user, as_of=as_of, authority=authority).count()
    return {
        "as_of": as_of.isoformat(),
        "authority": authority.upper() if authority else None,
        "commissioned": found["commissioned"],
        "occupied": found["occupied"],
        "free": found["free"],
        "by_kind": {row["key"]: {"label": row["label"], "schemes": row["schemes"],
                                 "commissioned": row["commissioned"],
                                 "occupied": row["occupied"], "free": row["free"]}
                    for row in found["by_kind"]},
        "overstays": stays,
    }


# --- Placements --------------------------------------------------------------------------

def placement_list(*, user, as_of: dt.date | None = None, scheme: BedScheme | None = None,
                   current: bool = False, capability: Capability = C.VIEW_BEDS
                   ) -> QuerySet[Placement]:
    """Placements `user` may see, admitted on or before `as_of` (current: in a bed then)."""
    placements = tenancy.in_scope(user, capability, Placement).select_related(
        "scheme", "scheme__authority", "scheme__location", "placed_by")
    if scheme is not None:
        placements = placements.filter(scheme=scheme)
    if as_of is not None:
        placements = placements.filter(admitted_on__lte=as_of)
        if current:
            placements = occupying_on(placements, as_of)
    return placements.order_by("-admitted_on", "pk")


def as_it_stood(placement: Placement, as_of: dt.date) -> dict:
    """A placement as it stood on `as_of`: its discharge only if it had happened by then."""
    left = placement.discharged_on is not None and placement.discharged_on <= as_of
    end = placement.discharged_on if left and placement.discharged_on else as_of
    return {"discharged_on": placement.discharged_on if left else None,
            "destination": placement.destination if left else "",
            "nights": (end - placement.admitted_on).days,
            "overstaying": not left and _overstaying(placement, as_of)}


def _overstaying(placement: Placement, as_of: dt.date) -> bool:
    limit = placement.scheme.max_stay_days
    return limit is not None and (as_of - placement.admitted_on).days > limit


def overstays(*, user, as_of: dt.date, authority: str | None = None) -> list[Placement]:
    """People still in a bed on `as_of` past their scheme's longest intended stay, longest
    first."""
    placements = _overstaying_placements(user=user, as_of=as_of, authority=authority)
    return sorted((p for p in placements if _overstaying(p, as_of)),
                  key=lambda p: (p.admitted_on, p.pk))


def _overstaying_placements(*, user, as_of: dt.date, authority: str | None = None
                            ) -> QuerySet[Placement]:
    """The placements of overstays(), as a query (summary() counts them)."""
    placements = placement_list(user=user)
    if authority:
        placements = placements.filter(scheme__authority__ons_code=authority.upper())
    return overstaying_on(placements, as_of)


def overstaying_on(placements: QuerySet[Placement], as_of: dt.date) -> QuerySet[Placement]:
    """Those of `placements` in a bed on `as_of` past their scheme's longest intended stay
    (more nights so far than it). Found in SQL with one condition for each longest stay the
    schemes have (a few), so with no date arithmetic in the database."""
    limits = sorted(limit for limit in BedScheme.objects.order_by().values_list(
        "max_stay_days", flat=True).distinct() if limit is not None)
    if not limits:
        return placements.none()
    return occupying_on(placements, as_of).filter(reduce(or_, (
        Q(scheme__max_stay_days=limit, admitted_on__lt=as_of - dt.timedelta(days=limit))
        for limit in limits)))


def expected_end(placement: Placement) -> dt.date | None:
    """When a placement is expected to end: its expected discharge, else the end of its
    scheme's intended stay."""
    if placement.expected_discharge_on:
        return placement.expected_discharge_on
    limit = placement.scheme.max_stay_days
    return placement.admitted_on + dt.timedelta(days=limit) if limit else None


def ending_soon(*, user, as_of: dt.date, authority: str | None = None) -> list[Placement]:
    """People in a bed on `as_of` expected to leave this week (today and the next six days)."""
    placements = occupying_on(placement_list(user=user), as_of)
    if authority:
        placements = placements.filter(scheme__authority__ons_code=authority.upper())
    last = as_of + dt.timedelta(days=DAYS_AHEAD)
    found = [(end, p) for p in placements if (end := expected_end(p)) and as_of <= end <= last]
    return [p for _, p in sorted(found, key=lambda pair: (pair[0], pair[1].pk))]


def _whole_if_whole(value: float) -> int | float:
    """A median of whole nights: 14 (not 14.0) for an odd count, 13.5 for an even one."""
    return int(value) if float(value).is_integer() else value


def past_expected_discharge(*, user, as_of: dt.date, authority: str | None = None
                            ) -> list[Placement]:
    """People still in a bed on `as_of` after their expected discharge date (whatever their
    scheme's intended stay: a block bed has none), longest overdue first."""
    placements = occupying_on(placement_list(user=user), as_of).filter(
        expected_discharge_on__lt=as_of)
    if authority:
        placements = placements.filter(scheme__authority__ons_code=authority.upper())
    return list(placements.order_by("expected_discharge_on", "pk"))


def stay_statistics(*, user, date_from: dt.date, date_to: dt.date,
                    authority: str | None = None) -> dict:
    """Lengths of stay and destinations of the people discharged from `date_from` to
    `date_to`, in all and by kind of scheme."""
    placements = placement_list(user=user).filter(discharged_on__gte=date_from,
                                                  discharged_on__lte=date_to)
    if authority:
        placements = placements.filter(scheme__authority__ons_code=authority.upper())
    rows = list(placements.values_list("scheme__kind", "admitted_on", "discharged_on",
                                       "destination"))

    def stats(selected: list[tuple]) -> dict:
        nights = [(out - came).days for _, came, out, _ in selected]
        destinations = Counter(dest for *_, dest in selected)
        return {"discharged": len(selected),
                "mean_nights": round(statistics.fmean(nights), 1) if nights else None,
                "median_nights": _whole_if_whole(statistics.median(nights)) if nights
                else None,
                "longest_nights": max(nights) if nights else None,
                "destinations": [{"key": d, "label": label, "count": destinations.get(d, 0)}
                                 for d, label in Destination.choices]}

    by_kind = defaultdict(list)
    for row in rows:
        by_kind[row[0]].append(row)
    return {"date_from": date_from, "date_to": date_to, **stats(rows),
            "by_kind": [{"key": k, "label": label, **stats(by_kind[k])}
                        for k, label in SchemeKind.choices if by_kind.get(k)]}


def sitrep(*, user, as_of: dt.date, authority: str | None = None) -> dict:
    """The daily sitrep as at 08:00 on `as_of`: by kind of scheme, the beds and who was in
    them overnight, and the admissions and discharges of the 24 hours before (the day
    before)."""
    night = as_of - dt.timedelta(days=1)
    days = scheme_figures(user=user, as_of=night, authority=authority)
    ids = [d.pk for d in days]
    moves = (placement_list(user=user).filter(Q(admitted_on=night) | Q(discharged_on=night))
             .filter(scheme_id__in=ids).order_by().values_list("scheme__kind", "admitted_on",
                                                               "discharged_on"))
    admissions: Counter = Counter()
    discharges: Counter = Counter()
    for kind, came, out in moves:
        admissions[kind] += came == night
        discharges[kind] += out == night
    rows = []
    for group in _grouped(days, lambda d: d.kind, dict(SchemeKind.choices)):
        rows.append({**group, "admissions": admissions[group["key"]],
                     "discharges": discharges[group["key"]]})
    total = {**_totals(days), "admissions": sum(admissions.values()),
             "discharges": sum(discharges.values())}
    return {"as_of": as_of, "as_at": dt.datetime.combine(as_of, dt.time(8)), "rows": rows,
            "total": total}


# --- Brokerage ---------------------------------------------------------------------------

def brokerage(*, user, as_of: dt.date, client_group: str = "", authority: str | None = None
              ) -> dict:
    """Free beds on `as_of` by client group, and each scheme with a free bed, with its
    service's open outbreak and risk rating (flagged where a placement needs thought)."""
    days = [d for d in scheme_days(user=user, as_of=as_of, authority=authority)
            if d.free > 0 and (not client_group or client_group in d.scheme.client_groups)]
    from caresight.registry.models import ClientGroup

    by_group = []
    for group, label in ClientGroup.choices:
        matching = [d for d in days if group in d.scheme.client_groups]
        if matching:
            by_group.append({"key": group, "label": label, "free": sum(d.free for d in matching),
                             "schemes": len(matching)})
    outbreaks, ratings = _service_flags(user, [d.scheme for d in days], as_of)
    rows = []
    for d in sorted(days, key=lambda d: (d.scheme.location_id in outbreaks, d.scheme.kind
                                         == SchemeKind.DESIGNATED_SETTING, d.scheme.name)):
        outbreak = outbreaks.get(d.scheme.location_id)
        rows.append({"day": d, "scheme": d.scheme, "free": d.free, "outbreak": outbreak,
                     "rating": ratings.get(d.scheme.location_id, ""),
                     "flag": outbreak is not None
                     or d.scheme.kind == SchemeKind.DESIGNATED_SETTING})
    return {"as_of": as_of, "client_group": client_group, "by_group": by_group, "rows": rows,
            "free": sum(d.free for d in days),
            "sees_outbreaks": tenancy.has_capability(user, C.VIEW_OUTBREAKS)}


def _service_flags(user, schemes: list[BedScheme], as_of: dt.date, *, ratings: bool = True
                   ) -> tuple[dict[int, Any], dict[int, str]]:
    """location ID -> its open outbreak, and -> its risk rating, for the services the user
    may see outbreaks and ratings of."""
    from caresight.outbreaks.selectors import open_outbreaks
    from caresight.risk.selectors import ratings_of

    ids = list(tenancy.in_scope(user, C.VIEW_OUTBREAKS, "registry.Location").filter(
        pk__in={s.location_id for s in schemes}).values_list("pk", flat=True))
    if not ids:
        return {}, {}
    return open_outbreaks(location_ids=ids, on=as_of), ratings_of(
        user=user, location_ids=ids, as_of=as_of) if ratings else {}


def open_outbreak_at(*, user, scheme: BedScheme, on: dt.date):
    """The open outbreak at the scheme's service on `on`, if the user may see outbreaks there
    (the scheme and placing pages warn of it)."""
    outbreaks, _ = _service_flags(user, [scheme], on, ratings=False)
    return outbreaks.get(scheme.location_id)


# --- Money -------------------------------------------------------------------------------

def _nights(start: dt.date, end: dt.date | None, first: dt.date, last: dt.date) -> int:
    """Nights of [start, end) that fall from `first` to `last` (both included)."""
    stop = min(end, last + dt.timedelta(days=1)) if end else last + dt.timedelta(days=1)
    return max((stop - max(start, first)).days, 0)


def _commissioned_nights(scheme: BedScheme, capacities: list[tuple[dt.date, int]],
                         first: dt.date, last: dt.date) -> int:
    """Bed-nights the scheme had from `first` to `last` within its own dates."""
    end = scheme.ends_on + dt.timedelta(days=1) if scheme.ends_on else None
    total = 0
    for n, (from_date, beds) in enumerate(capacities):
        until = capacities[n + 1][0] if n + 1 < len(capacities) else None
        stop = min(d for d in (until, end) if d) if (until or end) else None
        total += beds * _nights(max(from_date, scheme.starts_on), stop, first, last)
    return total


def pounds(nights: int, weekly_rate: Decimal) -> Decimal:
    return (Decimal(nights) * weekly_rate / 7).quantize(PENNY, ROUND_HALF_UP)


def costs(*, user, date_from: dt.date, date_to: dt.date, authority: str | None = None,
          capability: Capability = C.VIEW_BEDS) -> dict:
    """What each scheme cost from `date_from` to `date_to`: block beds for every night
    commissioned, spot beds for the nights occupied, at the weekly rate ÷ 7 a night. Each
    scheme's cost is rounded to the penny and the totals add up those pence. A spot
    placement's nights are charged to its own funding source, block nights to the scheme's."""
    schemes = list(scheme_list(user=user, capability=capability, authority=authority)
                   .filter(starts_on__lte=date_to)
                   .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=date_from)))
    ids = [s.pk for s in schemes]
    capacities: dict[int, list] = defaultdict(list)
    for scheme_id, from_date, beds in (BedCapacity.objects.filter(scheme_id__in=ids)
                                       .order_by("scheme_id", "from_date")
                                       .values_list("scheme_id", "from_date", "beds")):
        capacities[scheme_id].append((from_date, beds))
    occupied: Counter = Counter()
    spot_by_source: dict[int, Counter] = defaultdict(Counter)
    # Nights are paid only within the scheme's own dates.
    within = {s.pk: (max(date_from, s.starts_on), min(date_to, s.ends_on or date_to))
              for s in schemes}
    for scheme_id, came, out, source in (
            Placement.objects.filter(scheme_id__in=ids, admitted_on__lte=date_to)
            .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=date_from))
            .order_by().values_list("scheme_id", "admitted_on", "discharged_on",
                                    "funding_source")):
        nights = _nights(came, out, *within[scheme_id])
        occupied[scheme_id] += nights
        spot_by_source[scheme_id][source] += nights
    rows = []
    for scheme in schemes:
        commissioned = _commissioned_nights(scheme, capacities[scheme.pk], date_from, date_to)
        used = occupied[scheme.pk]
        block = scheme.payment_basis == PaymentBasis.BLOCK
        by_source = ({scheme.funding_source: pounds(commissioned, scheme.weekly_rate)} if block
                     else {source: pounds(n, scheme.weekly_rate)
                           for source, n in spot_by_source[scheme.pk].items() if n})
        rows.append({"scheme": scheme, "commissioned_nights": commissioned,
                     "occupied_nights": used, "block": block,
                     "cost": sum(by_source.values(), Decimal("0.00")),
                     "void_nights": max(commissioned - used, 0) if block else 0,
                     "void_cost": pounds(max(commissioned - used, 0), scheme.weekly_rate)
                     if block else Decimal("0.00"),
                     "by_source": by_source})
    return {"date_from": date_from, "date_to": date_to, "rows": rows, **_money_totals(rows)}


def _money_totals(rows: list[dict]) -> dict:
    from caresight.governance.models import FundingSource

    zero = Decimal("0.00")
    by_source: dict[str, Decimal] = defaultdict(lambda: zero)
    for row in rows:
        for source, amount in row["by_source"].items():
            by_source[source] += amount
    block = sum((r["cost"] for r in rows if r["block"]), zero)
    spot = sum((r["cost"] for r in rows if not r["block"]), zero)
    total = block + spot
    return {
        "cost": total, "block_cost": block, "spot_cost": spot,
        "void_cost": sum((r["void_cost"] for r in rows), zero),
        "void_nights": sum(r["void_nights"] for r in rows),
        "block_share": (block / total * 100).quantize(Decimal("0.1")) if total else None,
        "block_schemes": sum(1 for r in rows if r["block"]),
        "by_source": [{"key": k, "label": label, "cost": by_source[k]}
                      for k, label in FundingSource.choices if k in by_source],
    }


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def reconciliation(*, user, months: int = 6, as_of: dt.date | None = None,
                   authority: str | None = None) -> list[dict]:
    """Month by month up to `as_of`: the NHS-funded cost of the beds (NHS discharge funding
    and NHS partners) against what was claimed from the NHS for the month, and the
    difference still to claim (or over-claimed, if negative)."""
    as_of = as_of or timezone.localdate()
    claims = tenancy.in_scope(user, C.VIEW_BEDS, NhsClaim).select_related(
        "claimed_from", "authority")
    if authority:
        claims = claims.filter(authority__ons_code=authority.upper())
    rows = []
    month = as_of.replace(day=1)
    for _ in range(months):
        first, last = month_bounds(month)
        spent = costs(user=user, date_from=first, date_to=min(last, as_of), authority=authority)
        nhs = sum((amount for row in spent["rows"] for source, amount in row["by_source"].items()
                   if source in NHS_FUNDING), Decimal("0.00"))
        claimed = [c for c in claims if c.month == first]
        total_claimed = sum((c.amount for c in claimed), Decimal("0.00"))
        rows.append({"month": first, "to": min(last, as_of), "nhs_cost": nhs,
                     "claimed": total_claimed, "claims": claimed,
                     "difference": nhs - total_claimed, "complete": last <= as_of})
        month = (first - dt.timedelta(days=1)).replace(day=1)
    return rows


def claim_list(*, user) -> QuerySet[NhsClaim]:
    return tenancy.in_scope(user, C.VIEW_BEDS, NhsClaim).select_related("claimed_from",
                                                                        "authority")


def schemes_at(*, location, user, as_of: dt.date) -> list[SchemeDay]:
    """The schemes in one service running on `as_of`, with their occupancy (its page)."""
    return days_of(running_on(scheme_list(user=user).filter(location=location), as_of), as_of)


def linked_placements(*, user, placement: Placement) -> QuerySet[Placement]:
    """The same person's other placements (by their NHS number's hash), for officers."""
    if not placement.nhs_number_hash or tenancy.scope(user, C.VIEW_BEDS).provider_grants:
        return Placement.objects.none()
    return placement_list(user=user).filter(nhs_number_hash=placement.nhs_number_hash).exclude(
        pk=placement.pk)


# --- Organisations -----------------------------------------------------------------------

# The kinds of organisation that commission beds.
COMMISSIONERS = ("council", "nhs_partner")


def commissioning_organisations(user) -> QuerySet:
    """Councils and NHS partners that could commission beds in the user's authorities: those
    with people there, and those already commissioning a scheme the user sees. (Who
    commissions a scheme decides which partner sees it, so nobody names another.)"""
    from caresight.accounts.models import Membership, Organisation

    ids = tenancy.authority_ids(user, C.MANAGE_BEDS)
    with_people = Membership.objects.filter(authorities__in=ids).values("organisation_id")
    commissioning = tenancy.in_scope(user, C.VIEW_BEDS, BedScheme).values("commissioned_by_id")
    return Organisation.objects.filter(kind__in=COMMISSIONERS).filter(
        Q(pk__in=with_people) | Q(pk__in=commissioning)).order_by("name")


def nhs_partners(user) -> QuerySet:
    """NHS partners a claim can be made from: those commissioning beds the user sees, and
    those with people in the user's authorities."""
    from caresight.accounts.models import Membership, Organisation

    return (commissioning_organisations(user).filter(kind="nhs_partner") | Organisation.objects
            .filter(kind="nhs_partner", pk__in=Membership.objects.filter(
                authorities__in=tenancy.authority_ids(user, C.RECORD_BED_CLAIMS)).values(
                "organisation_id"))).distinct().order_by("name")
