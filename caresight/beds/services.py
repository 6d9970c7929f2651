"""Writes for beds: schemes and their capacity, placements, and NHS claims (validated, audited).

Every placement write locks its scheme's row first, so two officers placing into the same
scheme at once are taken one after the other and the bed checks see each other's work.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.audit import delete_audited, save_audited
from caresight.core.tenancy import Capability, actor
from caresight.core.timeutils import long_date
from caresight.grants.money import parse_money
from caresight.registry.models import ClientGroup, Location

from .models import (
    INTENDED_STAY_DAYS,
    BedCapacity,
    BedScheme,
    Destination,
    NhsClaim,
    PaymentBasis,
    Placement,
    SchemeKind,
)
from .pseudonyms import clean_nhs_number, clean_reference, nhs_number_hash

SCHEME_FIELDS = ("name", "kind", "location", "payment_basis", "client_groups", "max_stay_days",
                 "funding_source", "weekly_rate", "commissioned_by", "starts_on", "ends_on",
                 "cqc_assured_on", "notes")
PLACEMENT_FIELDS = ("bed_number", "person_reference", "source", "hospital_trust",
                    "hospital_site", "admitted_on", "expected_discharge_on", "discharged_on",
                    "destination", "covid_status", "pathway", "funding_source", "notes")


def _money(value: Any, key: str, label: str) -> Decimal:
    """Pounds and pence read as the rest of Caresight reads them, never negative."""
    try:
        return parse_money(value, field=label)
    except ValueError as exc:
        raise ValidationError({key: str(exc)}) from None


def _rate(value: Any) -> Decimal:
    return _money(value, "weekly_rate", "Weekly rate")


def _client_groups(values) -> list[str]:
    known = {g.value for g in ClientGroup}
    wrong = [v for v in values or [] if v not in known]
    if wrong:
        raise ValidationError({"client_groups": f"Unknown client group {wrong[0]!r}: use one of "
                                                + ", ".join(sorted(known)) + "."})
    return [g.value for g in ClientGroup if g.value in set(values or [])]


def _check_scheme(scheme: BedScheme) -> None:
    # A designated setting may be set up before CQC assures it; it takes nobody until then.
    if scheme.kind != SchemeKind.DESIGNATED_SETTING and scheme.cqc_assured_on is not None:
        raise ValidationError({"cqc_assured_on": "Only a designated setting has a CQC "
                                                 "assurance date."})
    if scheme.ends_on and scheme.ends_on < scheme.starts_on:
        raise ValidationError({"ends_on": f"The scheme ends ({long_date(scheme.ends_on)}) "
                                          f"before it starts ({long_date(scheme.starts_on)})."})


@transaction.atomic
def scheme_create(*, authority, name: str, kind: str, location: Location, beds: int,
                  funding_source: str, weekly_rate: Any, commissioned_by: Organisation,
                  starts_on: dt.date, user, ends_on: dt.date | None = None,
                  payment_basis: str | None = None, client_groups=(),
                  max_stay_days: int | None = None, cqc_assured_on: dt.date | None = None,
                  notes: str = "") -> BedScheme:
    """Set up a scheme with its first capacity (from its start date)."""
    name = " ".join((name or "").split())
    if BedScheme.objects.filter(authority=authority, name__iexact=name).exists():
        raise ValidationError({"name": f"{authority.name} already has a bed scheme called "
                                       f"{name}."})
    if kind not in SchemeKind.values:
        raise ValidationError({"kind": f"Unknown kind of scheme {kind!r}."})
    if payment_basis is None:
        payment_basis = PaymentBasis.SPOT if kind == SchemeKind.SPOT else PaymentBasis.BLOCK
    if max_stay_days is None:
        max_stay_days = INTENDED_STAY_DAYS.get(SchemeKind(kind))
    scheme = BedScheme(
        authority=authority, name=name, kind=kind, location=location,
        payment_basis=payment_basis, client_groups=_client_groups(client_groups),
        max_stay_days=max_stay_days, funding_source=funding_source,
        weekly_rate=_rate(weekly_rate), commissioned_by=commissioned_by, starts_on=starts_on,
        ends_on=ends_on, cqc_assured_on=cqc_assured_on, notes=(notes or "").strip(),
        created_by=actor(user))
    _check_beds(beds)
    _check_scheme(scheme)
    save_audited(scheme, user=user, reason="Bed scheme set up")
    save_audited(BedCapacity(scheme=scheme, from_date=starts_on, beds=beds,
                             note="Beds commissioned", created_by=actor(user)),
                 user=user, reason="Beds commissioned")
    return scheme


def _check_beds(beds: Any) -> None:
    if isinstance(beds, bool) or not isinstance(beds, int) or beds < 0:
        raise ValidationError({"beds": f"Enter the beds commissioned as a whole number of 0 or "
                                       f"more, not {beds!r}."})


@transaction.atomic
def scheme_update(*, scheme: BedScheme, user, **changes) -> BedScheme:
    """Change the named fields of a scheme (refusing any other), keeping its placements
    within its dates and after its assurance."""
    unknown = set(changes) - set(SCHEME_FIELDS)
    if unknown:
        raise ValidationError({name: "This cannot be changed here." for name in sorted(unknown)})
    scheme = BedScheme.objects.select_for_update().get(pk=scheme.pk)
    for field, value in changes.items():
        if field == "weekly_rate":
            value = _rate(value)
        elif field == "client_groups":
            value = _client_groups(value)
        elif field in ("name", "notes"):
            value = " ".join((value or "").split()) if field == "name" else (value or "").strip()
        setattr(scheme, field, value)
    if "name" in changes and BedScheme.objects.filter(
            authority_id=scheme.authority_id, name__iexact=scheme.name).exclude(
            pk=scheme.pk).exists():
        raise ValidationError({"name": f"There is already a bed scheme called {scheme.name}."})
    _check_scheme(scheme)
    placements = scheme.placements.all()
    first = placements.order_by("admitted_on").first()
    if first and first.admitted_on < scheme.starts_on:
        raise ValidationError({"starts_on": f"{first.person_reference} was admitted on "
                                            f"{long_date(first.admitted_on)}, before "
                                            f"{long_date(scheme.starts_on)}."})
    if scheme.ends_on:
        late = placements.filter(Q(discharged_on__gt=scheme.ends_on)
                                 | Q(admitted_on__gt=scheme.ends_on)).first()
        if late is None and scheme.ends_on < timezone.localdate():
            late = placements.filter(discharged_on__isnull=True).first()
        if late:
            raise ValidationError({"ends_on": (
                f"{late.person_reference} is still in a bed: record their discharge before "
                f"the scheme ends on {long_date(scheme.ends_on)}." if late.discharged_on is None
                else f"{late.person_reference} is placed after {long_date(scheme.ends_on)}.")})
    if scheme.kind == SchemeKind.DESIGNATED_SETTING:
        early = placements.filter(admitted_on__lt=scheme.cqc_assured_on).first() \
            if scheme.cqc_assured_on else placements.first()
        if early:
            raise ValidationError({"cqc_assured_on": (
                f"{early.person_reference} was admitted on {long_date(early.admitted_on)}, "
                "before the setting's CQC assurance.")})
    _capacity_from_start(scheme, user)
    return save_audited(scheme, user=user, reason="Bed scheme changed")


def _capacity_from_start(scheme: BedScheme, user) -> None:
    """Keep the scheme's first capacity on its start day when the start moves: earlier, the
    first beds start earlier; later, the beds it then had start it, and rows before go."""
    rows = list(scheme.capacities.order_by("from_date"))
    if not rows or rows[0].from_date == scheme.starts_on:
        return
    if rows[0].from_date > scheme.starts_on:
        rows[0].from_date = scheme.starts_on
        save_audited(rows[0], user=user, reason="Scheme start moved")
        return
    before = [row for row in rows if row.from_date <= scheme.starts_on]
    keep = before[-1]
    for row in before[:-1]:
        delete_audited(row, user=user, reason="Scheme start moved")
    if keep.from_date != scheme.starts_on:
        keep.from_date = scheme.starts_on
        save_audited(keep, user=user, reason="Scheme start moved")


@transaction.atomic
def capacity_set(*, scheme: BedScheme, from_date: dt.date, beds: int, user, note: str = ""
                 ) -> BedCapacity:
    """Change a scheme's beds from a day on; refused if a placement then would have no bed."""
    _check_beds(beds)
    scheme = BedScheme.objects.select_for_update().get(pk=scheme.pk)
    if from_date < scheme.starts_on or (scheme.ends_on and from_date > scheme.ends_on):
        raise ValidationError({"from_date": f"{long_date(from_date)} is outside the scheme's "
                                            f"dates ({_dates(scheme)})."})
    later = scheme.capacities.filter(from_date__gt=from_date).order_by("from_date").first()
    until = later.from_date if later else None
    displaced = _overlapping(scheme, from_date, until).filter(bed_number__gt=beds).order_by(
        "bed_number").first()
    if displaced:
        raise ValidationError({"beds": (
            f"{displaced.person_reference} is in bed {displaced.bed_number} then: "
            f"the scheme cannot have fewer than {displaced.bed_number} beds from "
            f"{long_date(from_date)}.")})
    row = scheme.capacities.filter(from_date=from_date).first() or BedCapacity(
        scheme=scheme, from_date=from_date, created_by=actor(user))
    row.beds, row.note = beds, (note or "").strip()
    return save_audited(row, user=user, reason="Beds changed")


def _dates(scheme: BedScheme) -> str:
    return (f"{long_date(scheme.starts_on)} to {long_date(scheme.ends_on)}" if scheme.ends_on
            else f"from {long_date(scheme.starts_on)}")


def _overlapping(scheme: BedScheme, start: dt.date, end: dt.date | None,
                 exclude_pk: int | None = None):
    """Placements of `scheme` occupying a bed on some night from `start` up to `end`."""
    found = scheme.placements.filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=start))
    found = found.exclude(discharged_on=F("admitted_on"))  # a same-day stay takes no night
    if end is not None:
        found = found.filter(admitted_on__lt=end)
    return found.exclude(pk=exclude_pk) if exclude_pk else found


def beds_between(scheme: BedScheme, start: dt.date, end: dt.date | None) -> int | None:
    """The fewest beds the scheme has on any night from `start` up to `end` (None: no
    capacity recorded on `start`)."""
    rows = list(scheme.capacities.order_by("from_date").values_list("from_date", "beds"))
    on_start = [beds for day, beds in rows if day <= start]
    if not on_start:
        return None
    within = [beds for day, beds in rows if day > start and (end is None or day < end)]
    return min([on_start[-1], *within])


def _clean_placement(placement: Placement, scheme: BedScheme, nhs_number: str | None,
                     user) -> None:
    """Check one placement against its scheme, its bed and everyone else's; ValidationError
    naming the field."""
    placement.person_reference = _field("person_reference", clean_reference,
                                        placement.person_reference)
    if nhs_number:
        _field("nhs_number", clean_nhs_number, nhs_number)
        placement.nhs_number_hash = nhs_number_hash(nhs_number)
    admitted, discharged = placement.admitted_on, placement.discharged_on
    if admitted is None:
        raise ValidationError({"admitted_on": "Enter the date of admission."})
    if admitted > timezone.localdate():
        raise ValidationError({"admitted_on": f"The admission ({long_date(admitted)}) is in "
                                              "the future."})
    if discharged and discharged < admitted:
        raise ValidationError({"discharged_on": f"The discharge ({long_date(discharged)}) is "
                                                f"before the admission ({long_date(admitted)})."})
    if discharged and discharged > timezone.localdate():
        raise ValidationError({"discharged_on": f"The discharge ({long_date(discharged)}) is "
                                                "in the future: record it when it happens."})
    if placement.expected_discharge_on and placement.expected_discharge_on < admitted:
        raise ValidationError({"expected_discharge_on": (
            f"The expected discharge ({long_date(placement.expected_discharge_on)}) is before "
            f"the admission ({long_date(admitted)}).")})
    if discharged and not placement.destination:
        raise ValidationError({"destination": "Say where the person went on discharge."})
    if not discharged and placement.destination:
        raise ValidationError({"destination": "A destination is recorded with the discharge."})
    if admitted < scheme.starts_on or (scheme.ends_on and admitted > scheme.ends_on):
        raise ValidationError({"admitted_on": f"{long_date(admitted)} is outside the scheme's "
                                              f"dates ({_dates(scheme)})."})
    if discharged and scheme.ends_on and discharged > scheme.ends_on:
        raise ValidationError({"discharged_on": f"{long_date(discharged)} is after the scheme "
                                                f"ends ({long_date(scheme.ends_on)})."})
    if not discharged and scheme.ends_on and scheme.ends_on < timezone.localdate():
        raise ValidationError({"discharged_on": (
            f"{scheme.name} ended on {long_date(scheme.ends_on)}: record when the person "
            "left.")})
    if scheme.kind == SchemeKind.DESIGNATED_SETTING:
        if scheme.cqc_assured_on is None:
            raise ValidationError({"admitted_on": f"{scheme.name} is a designated setting not "
                                                  "yet assured by CQC: it cannot take anyone."})
        if admitted < scheme.cqc_assured_on:
            raise ValidationError({"admitted_on": (
                f"{scheme.name} was assured by CQC on {long_date(scheme.cqc_assured_on)}: it "
                f"cannot take anyone before then ({long_date(admitted)}).")})
    _check_person(placement, scheme, user)
    _check_bed(placement, scheme)


def _field(name: str, clean, value):
    try:
        return clean(value)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


def _check_person(placement: Placement, scheme: BedScheme, user) -> None:
    """The same person is not in two beds at once within the council's schemes: the same NHS
    number anywhere in them, or the same reference among the schemes of one commissioning
    organisation (another organisation's "CH-0001" is somebody else)."""
    same = Q(person_reference__iexact=placement.person_reference,
             scheme__commissioned_by_id=scheme.commissioned_by_id)
    if placement.nhs_number_hash:
        same |= Q(nhs_number_hash=placement.nhs_number_hash)
    end = placement.discharged_on
    other = Placement.objects.filter(same, scheme__authority_id=scheme.authority_id).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gt=placement.admitted_on))
    if end is not None:
        other = other.filter(admitted_on__lt=end)
    clash = other.exclude(pk=placement.pk).select_related("scheme").first()
    if clash is not None and (end is None or end > placement.admitted_on):
        # A scheme the user may not see is not named (a partner sees only its own).
        where = (f"in {clash.scheme.name} from {long_date(clash.admitted_on)}"
                 if tenancy.allows(user, Capability.VIEW_BEDS, clash.scheme)
                 else "in a bed of another scheme then")
        raise ValidationError({"person_reference": (
            f"{placement.person_reference} is already placed {where}: discharge them from "
            "there first.")})


def _check_bed(placement: Placement, scheme: BedScheme) -> None:
    """The bed exists on every night of the stay and nobody else is in it; with no bed named,
    take the lowest free one."""
    start, end = placement.admitted_on, placement.discharged_on
    beds = beds_between(scheme, start, end)
    if beds is None:
        raise ValidationError({"admitted_on": f"{scheme.name} has no beds on {long_date(start)}."})
    taken = set(_overlapping(scheme, start, end, exclude_pk=placement.pk)
                .values_list("bed_number", flat=True)) if end != start else set()
    if placement.bed_number is None:
        free = [bed for bed in range(1, beds + 1) if bed not in taken]
        if not free:
            raise ValidationError({"admitted_on": (
                f"All {beds} beds of {scheme.name} are taken on {long_date(start)}: "
                "no more placements than beds.")})
        placement.bed_number = free[0]
        return
    if placement.bed_number < 1 or placement.bed_number > beds:
        raise ValidationError({"bed_number": (
            f"{scheme.name} has {beds} beds over this stay: there is no bed "
            f"{placement.bed_number}.")})
    if placement.bed_number in taken:
        other = _overlapping(scheme, start, end, exclude_pk=placement.pk).filter(
            bed_number=placement.bed_number).order_by("admitted_on").first()
        held = "" if other is None else (
            f" by {other.person_reference} from {long_date(other.admitted_on)}"
            + (f" to {long_date(other.discharged_on)}" if other.discharged_on else ""))
        raise ValidationError({"bed_number": (
            f"Bed {placement.bed_number} of {scheme.name} is taken{held}: one person per bed "
            "at a time.")})


@transaction.atomic
def placement_create(*, scheme: BedScheme, person_reference: str, admitted_on: dt.date,
                     source: str, covid_status: str, pathway: str, user,
                     bed_number: int | None = None, nhs_number: str = "",
                     funding_source: str = "", placed_by=None, **details) -> Placement:
    """Place a person in a scheme's bed (the lowest free one if none is named)."""
    unknown = set(details) - set(PLACEMENT_FIELDS)
    if unknown:
        raise ValidationError({name: "This is not part of a placement." for name in
                               sorted(unknown)})
    scheme = BedScheme.objects.select_for_update().get(pk=scheme.pk)
    placement = Placement(scheme=scheme, person_reference=person_reference, admitted_on=admitted_on,
                          source=source, covid_status=covid_status, pathway=pathway,
                          funding_source=funding_source or scheme.funding_source,
                          placed_by=placed_by if placed_by is not None else actor(user),
                          **{k: v for k, v in details.items() if v is not None})
    if bed_number is not None:  # else the lowest free bed is taken
        placement.bed_number = bed_number
    _clean_placement(placement, scheme, nhs_number, user)
    return save_audited(placement, user=user, reason="Placed")


@transaction.atomic
def placement_update(*, placement: Placement, user, nhs_number: str | None = None,
                     reason: str = "Placement changed", **changes) -> Placement:
    """Change the named fields of a placement (refusing any other), checked again as a
    whole."""
    unknown = set(changes) - set(PLACEMENT_FIELDS)
    if unknown:
        raise ValidationError({name: "This cannot be changed." for name in sorted(unknown)})
    scheme = BedScheme.objects.select_for_update().get(pk=placement.scheme_id)
    placement = Placement.objects.get(pk=placement.pk)
    for field, value in changes.items():
        setattr(placement, field, value if value is not None or field in (
            "expected_discharge_on", "discharged_on", "bed_number") else "")
    if placement.discharged_on is None and "discharged_on" in changes:
        placement.destination = ""
    _clean_placement(placement, scheme, nhs_number, user)
    return save_audited(placement, user=user, reason=reason)


def placement_discharge(*, placement: Placement, discharged_on: dt.date, destination: str,
                        user) -> Placement:
    if destination not in Destination.values:
        raise ValidationError({"destination": "Say where the person went on discharge."})
    return placement_update(placement=placement, user=user, discharged_on=discharged_on,
                            destination=destination, reason="Discharged")


@transaction.atomic
def claim_record(*, authority, month: dt.date, claimed_from: Organisation, amount: Any,
                 submitted_on: dt.date, user, reference: str = "") -> NhsClaim:
    """Record (or correct) what was claimed from an NHS partner for a month."""
    month = month.replace(day=1)
    value = _money(amount, "amount", "Amount claimed")
    if submitted_on > timezone.localdate():
        raise ValidationError({"submitted_on": f"{long_date(submitted_on)} is in the future."})
    claim = NhsClaim.objects.select_for_update().filter(
        authority=authority, month=month, claimed_from=claimed_from).first() or NhsClaim(
        authority=authority, month=month, claimed_from=claimed_from, created_by=actor(user))
    claim.amount, claim.submitted_on, claim.reference = value, submitted_on, reference.strip()
    return save_audited(claim, user=user, reason="NHS claim recorded")
