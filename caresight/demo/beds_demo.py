"""The demo's beds: the schemes the councils and the CCG bought to get people out of hospital
(a designated setting, step-down / quarantine beds, discharge to assess pathway 2 beds, LD/MH
crisis beds, 120 block beds across several homes, and a few spot purchases), a season of
placements from the area's hospitals and the community, and the monthly NHS claims.

Dated back from today, as the rest of the demo is. Everything is written through
`caresight.beds.services`, so every row is validated and audited; the placements are planned
bed by bed first (so one person is in a bed at a time and no scheme is ever over-full), then
written in the order they happened.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from caresight.accounts.models import Organisation, User
from caresight.beds import selectors as beds_selectors
from caresight.beds import services as beds
from caresight.beds.models import CovidStatus, Destination, Pathway, SchemeKind, Source
from caresight.core.tenancy import OPERATOR
from caresight.governance.models import FundingSource
from caresight.outbreaks.models import Outbreak
from caresight.registry.models import (
    CARE_HOME_TYPES,
    Authority,
    ClientGroup,
    Location,
    RegistrationStatus,
    ServiceType,
)

CAMBS, PBORO = "E10000003", "E06000031"
SEASON_DAYS = 70  # the first schemes opened ten weeks ago
BLOCK_DAYS = 49  # the winter tender's block beds came seven weeks ago
UNDER_CLAIMED = Decimal("0.92")  # the share of one month's NHS cost that was claimed

CUH = "Cambridge University Hospitals NHS Foundation Trust"
NWAFT = "North West Anglia NHS Foundation Trust"
# Where each council's discharges come from: (trust, site, weight).
HOSPITALS = {
    CAMBS: ((CUH, "Addenbrooke's Hospital", 55), (NWAFT, "Hinchingbrooke Hospital", 35),
            (NWAFT, "Peterborough City Hospital", 10)),
    PBORO: ((NWAFT, "Peterborough City Hospital", 80), (NWAFT, "Hinchingbrooke Hospital", 12),
            (CUH, "Addenbrooke's Hospital", 8)),
}
REFERENCE_PREFIX = {CAMBS: "CC", PBORO: "PB"}  # person references: CC-0001, PB-0001, …

OP = (ClientGroup.OLDER_PEOPLE, ClientGroup.DEMENTIA)
LD_MH = (ClientGroup.LEARNING_DISABILITY, ClientGroup.MENTAL_HEALTH,
         ClientGroup.YOUNGER_ADULTS)


@dataclass(frozen=True)
class SchemeSpec:
    """A scheme to set up: where (a kind of service in a council), and how it is bought."""

    authority: str
    suffix: str  # the scheme is named "<service> <suffix>"
    kind: str
    beds: int
    weekly_rate: str
    funding: str
    commissioner: str  # "ccg" or "council"
    client_groups: tuple[str, ...] = OP
    service_types: tuple[str, ...] = (ServiceType.CARE_HOME_NURSING,)
    max_stay_days: int | None = None  # None: the kind's usual (see beds.models)
    opened: int = SEASON_DAYS  # days ago
    # (days after opening, beds): later capacity changes
    changes: tuple[tuple[int, int], ...] = ()
    ends_in: int | None = None  # days from today (negative: it ended)
    # Stays: (shortest, usual, longest) nights, and the idle nights between two people
    stay: tuple[int, int, int] = (10, 13, 16)
    gap: tuple[int, int] = (0, 3)
    from_community: float = 0.05
    # In a home with a live outbreak: closed to admissions since, so brokerage flags it and
    # its block beds go void.
    in_outbreak: bool = False


NHS, COUNCIL, ICF = (FundingSource.NHS_DISCHARGE, FundingSource.COUNCIL,
                     FundingSource.INFECTION_CONTROL_FUND)
BLOCK_STAY = (21, 42, 90)  # many wait here for a long-term home (pathway 3)
BLOCK_GAP = (1, 10)
OVERSTAYING = 0.2  # the chance that someone past the intended stay has not left yet

SCHEMES = (
    # The area's designated setting, for people discharged while COVID-19 positive (assured by
    # CQC a few days before its first placement).
    SchemeSpec(CAMBS, "designated setting", SchemeKind.DESIGNATED_SETTING, 10, "1500.00", NHS,
               "ccg", stay=(10, 14, 17), gap=(1, 4)),
    SchemeSpec(CAMBS, "step-down beds", SchemeKind.STEP_DOWN, 10, "1050.00", NHS, "ccg",
               changes=((35, 14),), stay=(9, 13, 17), gap=(0, 3)),
    SchemeSpec(PBORO, "step-down beds", SchemeKind.STEP_DOWN, 6, "1050.00", NHS, "ccg",
               stay=(9, 13, 17), gap=(0, 4)),
    SchemeSpec(CAMBS, "D2A pathway 2 beds", SchemeKind.PATHWAY_2, 12, "945.00", NHS, "ccg",
               stay=(14, 27, 50), gap=(0, 4)),
    SchemeSpec(PBORO, "D2A pathway 2 beds", SchemeKind.PATHWAY_2, 8, "945.00", NHS, "ccg",
               stay=(14, 26, 48), gap=(1, 5)),
    SchemeSpec(CAMBS, "crisis and isolation beds", SchemeKind.CRISIS, 4, "1750.00", ICF,
               "council", client_groups=LD_MH, service_types=(ServiceType.SUPPORTED_LIVING,),
               max_stay_days=28, stay=(4, 12, 30), gap=(2, 12), from_community=0.7),
    # 120 block beds bought from existing homes, paid for whether used or not.
    *(SchemeSpec(code, "block beds", SchemeKind.BLOCK, beds, rate, funding, who,
                 service_types=types, opened=BLOCK_DAYS - later, stay=BLOCK_STAY, gap=BLOCK_GAP,
                 from_community=0.15, in_outbreak=outbreak)
      for code, beds, rate, funding, who, types, later, outbreak in (
          (CAMBS, 20, "820.00", NHS, "ccg", (ServiceType.CARE_HOME_NURSING,), 0, False),
          (CAMBS, 18, "760.00", NHS, "ccg", tuple(CARE_HOME_TYPES), 0, True),
          (CAMBS, 15, "690.00", NHS, "ccg", (ServiceType.CARE_HOME,), 7, False),
          (CAMBS, 12, "690.00", COUNCIL, "council", (ServiceType.CARE_HOME,), 14, False),
          (CAMBS, 10, "690.00", COUNCIL, "council", (ServiceType.CARE_HOME,), 21, False),
          (PBORO, 20, "800.00", NHS, "ccg", (ServiceType.CARE_HOME_NURSING,), 0, False),
          (PBORO, 15, "675.00", NHS, "ccg", (ServiceType.CARE_HOME,), 14, False),
          (PBORO, 10, "675.00", COUNCIL, "council", (ServiceType.CARE_HOME,), 7, False),
      )),
    # Spot purchases: paid for only the nights used.
    SchemeSpec(CAMBS, "spot beds", SchemeKind.SPOT, 3, "910.00", NHS, "ccg",
               service_types=(ServiceType.CARE_HOME_NURSING,), max_stay_days=42, opened=63,
               stay=(10, 24, 40), gap=(3, 20)),
    SchemeSpec(CAMBS, "spot beds", SchemeKind.SPOT, 2, "725.00", COUNCIL, "council",
               service_types=(ServiceType.CARE_HOME,), max_stay_days=42, opened=56,
               stay=(10, 21, 40), gap=(4, 25), ends_in=-10),
    SchemeSpec(PBORO, "spot beds", SchemeKind.SPOT, 2, "700.00", NHS, "ccg",
               service_types=(ServiceType.CARE_HOME,), max_stay_days=42, opened=42,
               stay=(10, 20, 40), gap=(3, 20)),
)


@dataclass
class PlannedStay:
    spec_index: int
    bed: int
    admitted: dt.date
    discharged: dt.date | None  # None: still there today
    expected: dt.date


def write_beds(*, authorities: dict[str, Authority], today: dt.date, council: str, ccg: str,
               seed: int) -> None:
    """Set up the schemes, place a season of people in them and record the NHS claims."""
    rng = random.Random(seed)
    orgs = {"council": Organisation.objects.get(name=council),
            "ccg": Organisation.objects.get(name=ccg)}
    placers = _placers()
    schemes, closed = _write_schemes(rng, authorities, today, orgs)
    stays = _plan_stays(rng, schemes, closed, today)
    _write_stays(rng, schemes, stays, placers)
    _write_claims(authorities, today, orgs["ccg"])


def _placers() -> dict[str, User | None]:
    """The demo's officers who place people (written before the beds)."""
    by_role = {u.memberships.all()[0].role: u for u in User.objects.filter(
        email__endswith="@demo.caresight.test").prefetch_related("memberships")}
    return {"brokerage": by_role.get("brokerage"), "commissioner": by_role.get("commissioner"),
            "partner": by_role.get("partner")}


def _write_schemes(rng: random.Random, authorities: dict[str, Authority], today: dt.date,
                   orgs: dict[str, Organisation]) -> tuple[list, dict[int, dt.date]]:
    """The schemes, in the order of SCHEMES, and (by index) those closed to admissions since
    an outbreak."""
    live = dict(Outbreak.objects.filter(
        location__authority__ons_code__in=list(authorities), reported_on__lte=today
        - dt.timedelta(days=7)).exclude(closed_on__lte=today).order_by("-reported_on")
        .values_list("location_id", "reported_on"))
    ever = set(Outbreak.objects.values_list("location_id", flat=True))
    taken: set[int] = set()
    schemes, closed = [], {}
    for index, spec in enumerate(SCHEMES):
        # A home big enough that the scheme is only part of it (supported living has no beds).
        candidates = [loc for loc in Location.objects.filter(
            authority__ons_code=spec.authority, service_type__in=spec.service_types,
            registration_status=RegistrationStatus.REGISTERED).order_by("pk")
            if loc.pk not in taken and (loc.service_type not in CARE_HOME_TYPES
                                        or (loc.registered_beds or 0) >= spec.beds + 10)]
        if spec.in_outbreak:  # the longest-running live outbreak
            wanted = sorted((loc for loc in candidates if loc.pk in live),
                            key=lambda loc: live[loc.pk])[:1]
        else:
            wanted = [loc for loc in candidates if loc.pk not in ever]
        location = rng.choice(wanted or candidates)
        taken.add(location.pk)
        if spec.in_outbreak and location.pk in live:
            closed[index] = live[location.pk]
        starts_on = today - dt.timedelta(days=spec.opened)
        extra: dict[str, Any] = {}
        if spec.kind == SchemeKind.DESIGNATED_SETTING:
            extra["cqc_assured_on"] = starts_on + dt.timedelta(days=4)
        scheme = beds.scheme_create(
            authority=authorities[spec.authority], name=f"{location.name} {spec.suffix}",
            kind=spec.kind, location=location, beds=spec.beds, funding_source=spec.funding,
            weekly_rate=spec.weekly_rate, commissioned_by=orgs[spec.commissioner],
            starts_on=starts_on, user=OPERATOR, client_groups=spec.client_groups,
            max_stay_days=spec.max_stay_days,
            ends_on=today + dt.timedelta(days=spec.ends_in) if spec.ends_in is not None
            else None, notes=_notes(spec), **extra)
        for after, count in spec.changes:
            beds.capacity_set(scheme=scheme, from_date=starts_on + dt.timedelta(days=after),
                              beds=count, user=OPERATOR,
                              note="More beds commissioned for winter pressures")
        schemes.append(scheme)
    return schemes, closed


def _notes(spec: SchemeSpec) -> str:
    notes: dict[str, str] = {
        SchemeKind.DESIGNATED_SETTING: "Self-contained unit with its own entrance and staff "
        "team, for people discharged from hospital while COVID-19 positive (14 days).",
        SchemeKind.STEP_DOWN: "Quarantine step-down beds: 14 days' isolation after discharge "
        "for people who cannot go straight back to their care home.",
        SchemeKind.PATHWAY_2: "Discharge to assess: up to six weeks of rehabilitation and "
        "assessment before a decision on longer-term care.",
        SchemeKind.CRISIS: "Crisis and isolation beds for adults with a learning disability or "
        "mental health needs (Infection Control Fund, discretionary share).",
        SchemeKind.BLOCK: "Block beds awarded in the winter tender, paid whether occupied or "
        "not.",
        SchemeKind.SPOT: "Spot purchases by brokerage when the block beds are full.",
    }
    return notes.get(spec.kind, "")


def _capacity_on(spec: SchemeSpec, starts_on: dt.date, day: dt.date) -> int:
    beds_then = spec.beds
    for after, count in spec.changes:
        if day >= starts_on + dt.timedelta(days=after):
            beds_then = count
    return beds_then


def _stay_length(rng: random.Random, spec: SchemeSpec) -> int:
    shortest, usual, longest = spec.stay
    return max(1, round(rng.triangular(shortest, longest, usual)))


def _plan_stays(rng: random.Random, schemes: list, closed: dict[int, dt.date], today: dt.date
                ) -> list[PlannedStay]:
    """Bed by bed, one person after another from the scheme's first night to today (or
    until it closed to admissions). Capacity only grows here, so a bed once there stays."""
    stays = []
    for index, (spec, scheme) in enumerate(zip(SCHEMES, schemes, strict=True)):
        first = scheme.cqc_assured_on + dt.timedelta(days=3) if scheme.cqc_assured_on \
            else scheme.starts_on
        last = min(today, scheme.ends_on) if scheme.ends_on else today
        limit = scheme.max_stay_days
        for bed in range(1, max([spec.beds, *(n for _, n in spec.changes)]) + 1):
            day = first + dt.timedelta(days=rng.randint(0, 4 + bed // 2))
            while True:
                while day < last and _capacity_on(spec, scheme.starts_on, day) < bed:
                    day += dt.timedelta(days=1)
                if day >= last or (index in closed and day >= closed[index]):
                    break
                nights = _stay_length(rng, spec)
                if limit and limit < (today - day).days <= limit + 10 and \
                        rng.random() < OVERSTAYING:
                    nights = (today - day).days + 7  # waiting for a package of care
                out = day + dt.timedelta(days=nights)
                expected = day + dt.timedelta(days=limit or spec.stay[1] + rng.randint(-5, 5))
                if out > last:
                    if scheme.ends_on and scheme.ends_on < today:
                        out = scheme.ends_on  # everyone left when the scheme closed
                    else:
                        stays.append(PlannedStay(index, bed, day, None, expected))
                        break
                stays.append(PlannedStay(index, bed, day, out, expected))
                day = out + dt.timedelta(days=rng.randint(*spec.gap))
    return sorted(stays, key=lambda s: (s.admitted, s.spec_index, s.bed))


D = Destination
# Where people went, by kind of scheme: most home with care, some to a long-term care home (or
# back to the one they came from), a few readmitted or died.
DESTINATIONS: dict[str, tuple[tuple[Destination, int], ...]] = {
    SchemeKind.DESIGNATED_SETTING: ((D.HOME_WITH_CARE, 40), (D.CARE_HOME, 35), (D.HOME, 5),
                                    (D.READMITTED, 10), (D.DIED, 9), (D.OTHER, 1)),
    SchemeKind.STEP_DOWN: ((D.HOME_WITH_CARE, 48), (D.CARE_HOME, 32), (D.HOME, 8),
                           (D.READMITTED, 7), (D.DIED, 4), (D.OTHER, 1)),
    SchemeKind.PATHWAY_2: ((D.HOME_WITH_CARE, 62), (D.HOME, 12), (D.CARE_HOME, 16),
                           (D.READMITTED, 7), (D.DIED, 3)),
    SchemeKind.CRISIS: ((D.HOME_WITH_CARE, 70), (D.HOME, 15), (D.READMITTED, 10),
                        (D.OTHER, 5)),
}
OTHER_DESTINATIONS = ((D.HOME_WITH_CARE, 50), (D.CARE_HOME, 27), (D.HOME, 7),
                      (D.READMITTED, 9), (D.DIED, 6), (D.OTHER, 1))


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _nhs_number(rng: random.Random, used: set[str]) -> str:
    """A valid NHS number from the 999 range, which is never issued to a patient."""
    while True:
        digits = [9, 9, 9] + [rng.randrange(10) for _ in range(6)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            text = "".join(map(str, digits)) + str(check)
            if text in used:
                continue
            used.add(text)
            return f"{text[:3]} {text[3:6]} {text[6:]}"


def _write_stays(rng: random.Random, schemes: list, stays: list[PlannedStay], placers: dict
                 ) -> None:
    """Place each person as planned, in the order they came, mostly by the brokerage officer
    (the CCG's partner places some in its designated setting)."""
    numbers: dict[str, int] = {}
    nhs_numbers: set[str] = set()
    for stay in stays:
        spec, scheme = SCHEMES[stay.spec_index], schemes[stay.spec_index]
        prefix = REFERENCE_PREFIX[spec.authority]
        numbers[prefix] = numbers.get(prefix, 0) + 1
        community = rng.random() < spec.from_community
        details: dict = {}
        if community:
            source, pathway = Source.COMMUNITY, Pathway.NOT_APPLICABLE
        else:
            source = Source.HOSPITAL
            trust, site = _weighted(rng, [((t, s), w) for t, s, w in HOSPITALS[spec.authority]])
            details.update(hospital_trust=trust, hospital_site=site)
            back_to_a_home = spec.kind in (SchemeKind.BLOCK, SchemeKind.DESIGNATED_SETTING,
                                           SchemeKind.STEP_DOWN)
            pathway = (Pathway.PATHWAY_3 if back_to_a_home and rng.random() < 0.55
                       else Pathway.PATHWAY_2)
        if spec.kind == SchemeKind.DESIGNATED_SETTING:
            covid = CovidStatus.POSITIVE
        elif community:
            covid = _weighted(rng, ((CovidStatus.NEGATIVE, 5), (CovidStatus.NOT_TESTED, 2)))
        else:
            covid = _weighted(rng, ((CovidStatus.NEGATIVE, 8), (CovidStatus.AWAITING, 2),
                                    (CovidStatus.POSITIVE, 1)))
        if stay.discharged is not None:
            destination = _weighted(rng, DESTINATIONS.get(spec.kind, OTHER_DESTINATIONS))
            details.update(discharged_on=stay.discharged, destination=destination)
        placer = (placers["partner"] if spec.kind == SchemeKind.DESIGNATED_SETTING
                  and rng.random() < 0.5 else placers["commissioner"] if rng.random() < 0.15
                  else placers["brokerage"])
        beds.placement_create(
            scheme=scheme, person_reference=f"{prefix}-{numbers[prefix]:04d}",
            admitted_on=stay.admitted, source=source, covid_status=covid, pathway=pathway,
            bed_number=stay.bed, user=placer or OPERATOR,
            nhs_number=_nhs_number(rng, nhs_numbers) if not community and rng.random() < 0.8
            else "",
            expected_discharge_on=stay.expected, **details)


def _write_claims(authorities: dict[str, Authority], today: dt.date, ccg: Organisation) -> None:
    """Each council's claim to the CCG for every complete month of the season: matching the
    NHS-funded cost, except the latest of Cambridgeshire's, which was under-claimed."""
    months = SEASON_DAYS // 28 + 2
    for code, authority in authorities.items():
        rows = beds_selectors.reconciliation(user=OPERATOR, months=months, as_of=today,
                                             authority=code)
        complete = [row for row in rows if row["complete"]]
        for n, row in enumerate(complete):
            if not row["nhs_cost"]:
                continue
            amount = row["nhs_cost"]
            if code == CAMBS and n == 0:
                amount = (amount * UNDER_CLAIMED).quantize(Decimal("0.01"))
            submitted = row["to"] + dt.timedelta(days=10)
            beds.claim_record(authority=authority, month=row["month"], claimed_from=ccg,
                              amount=amount, submitted_on=min(submitted, today), user=OPERATOR,
                              reference=f"{REFERENCE_PREFIX[code]}-D2A-{row['month']:%Y-%m}")
