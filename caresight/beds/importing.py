"""Import existing bed lists and placements from a spreadsheet (CSV, XLSX or ODS), all or
nothing, through the shared import layer (core.imports) and the beds services.

Two imports:

- `bed-schemes`: Scheme | Kind | CQC location ID | Beds | From | To | Client groups | Longest
  stay (days) | Funding source | Weekly rate | Commissioned by | CQC assured (and optionally
  Authority code, Basis, Notes). A scheme is matched by its authority (the Authority code
  column, else the service's) and name: a new one is set up with its beds from its From date,
  a known one takes the file's values.
- `placements`: Scheme | Bed | Person reference | NHS number | From | Hospital trust | Hospital
  site | Admitted | Expected discharge | Discharged | Destination | COVID-19 status | Pathway |
  Funding source (and optionally Authority code, Notes). A placement is matched by its scheme,
  person reference and admission date.

Choices are read as their labels or codes. A blank optional cell leaves a known record's value
as it is (a file never erases a discharge). Every row is first tried through the services, in
the order of the file, inside a transaction that is rolled back: so each refusal the services
make (two people in one bed, more people than beds, a discharge before the admission, a stay
outside the scheme's dates or before a designated setting's assurance, a malformed NHS number,
a negative rate) is a row error naming its column, and nothing is written unless every row
passes. Importing the same file again changes nothing.
"""

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.audit import writes_from
from caresight.core.files import RowError, Table, file_date, match_columns
from caresight.core.imports import OUTSIDE, Context, Importer, ImportPages, match_locations
from caresight.core.imports import Plan as ImportPlan
from caresight.core.progress import Progress
from caresight.core.tenancy import Capability
from caresight.governance.models import FundingSource
from caresight.registry.models import Authority, ClientGroup, Location

from . import selectors, services
from .models import (
    BedScheme,
    CovidStatus,
    Destination,
    Pathway,
    PaymentBasis,
    Placement,
    SchemeKind,
    Source,
)
from .pseudonyms import nhs_number_hash

C = Capability
FILE_HINT = "CSV, Excel (.xlsx) or OpenDocument (.ods)."
SPLIT = re.compile(r"\s*[,;/\n]\s*")


def _key(text: str) -> str:
    return " ".join((text or "").lower().replace("_", " ").split())


def _choice(text: str, choices: type[models.TextChoices],
            aliases: Mapping[str, str] | None = None) -> str | None:
    """The code of a choice given as its label, its code or a common alias (None: none)."""
    words = {_key(str(c.label)): c.value for c in choices} | {_key(c.value): c.value
                                                              for c in choices}
    words |= {_key(k): v for k, v in (aliases or {}).items()}
    return words.get(_key(text))


def _one_of(choices: type[models.TextChoices]) -> str:
    return "must be one of " + ", ".join(str(c.label) for c in choices)


KIND_ALIASES = {"designated": SchemeKind.DESIGNATED_SETTING, "step-down": SchemeKind.STEP_DOWN,
                "step down": SchemeKind.STEP_DOWN, "stepdown": SchemeKind.STEP_DOWN,
                "quarantine": SchemeKind.STEP_DOWN, "d2a": SchemeKind.PATHWAY_2,
                "pathway 2": SchemeKind.PATHWAY_2, "d2a pathway 2": SchemeKind.PATHWAY_2,
                "discharge to assess": SchemeKind.PATHWAY_2, "crisis": SchemeKind.CRISIS,
                "ld/mh crisis": SchemeKind.CRISIS, "isolation": SchemeKind.CRISIS,
                "block": SchemeKind.BLOCK, "block beds": SchemeKind.BLOCK,
                "spot": SchemeKind.SPOT}
FUNDING_ALIASES = {"icf": FundingSource.INFECTION_CONTROL_FUND,
                   "nhs discharge": FundingSource.NHS_DISCHARGE,
                   "discharge funding": FundingSource.NHS_DISCHARGE,
                   "nhs": FundingSource.NHS_PARTNER, "ccg": FundingSource.NHS_PARTNER,
                   "la": FundingSource.COUNCIL, "local authority": FundingSource.COUNCIL}
BASIS_ALIASES = {"block": PaymentBasis.BLOCK, "spot": PaymentBasis.SPOT}
GROUP_ALIASES = {"op": ClientGroup.OLDER_PEOPLE, "ld": ClientGroup.LEARNING_DISABILITY,
                 "mh": ClientGroup.MENTAL_HEALTH, "pd": ClientGroup.PHYSICAL_DISABILITY}
DESTINATION_ALIASES = {"home with care": Destination.HOME_WITH_CARE,
                       "home without care": Destination.HOME,
                       "long term care home": Destination.CARE_HOME,
                       "care home": Destination.CARE_HOME,
                       "hospital readmission": Destination.READMITTED,
                       "readmission": Destination.READMITTED,
                       "hospital": Destination.READMITTED}
COVID_ALIASES = {"covid positive": CovidStatus.POSITIVE, "covid-19 positive":
                 CovidStatus.POSITIVE, "tested negative": CovidStatus.NEGATIVE,
                 "awaiting result": CovidStatus.AWAITING, "not known": CovidStatus.NOT_TESTED}
PATHWAY_ALIASES = {**{f"{p}{n}": str(n) for n in range(4) for p in ("p", "pathway ", "p ")},
                   "n/a": Pathway.NOT_APPLICABLE, "not applicable": Pathway.NOT_APPLICABLE,
                   "community": Pathway.NOT_APPLICABLE}


def _money(text: str) -> Decimal:
    try:
        value = Decimal((text or "").replace("£", "").replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in pounds, like 850.00") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount in pounds, like 850.00")
    if value < 0:
        raise ValueError(f"cannot be negative ({text})")
    try:
        pence = value.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in pounds, like 850.00") from None
    if value != pence:
        raise ValueError(f"{text} has more than two decimal places (pounds and pence)")
    return value


def _whole(text: str, *, least: int = 0) -> int:
    text = (text or "").strip().replace(",", "")
    if text.endswith(".0"):  # a spreadsheet's number cell
        text = text[:-2]
    if not (text.isascii() and text.isdigit()) or int(text) < least:
        raise ValueError(f"{text!r} is not a whole number of {least} or more")
    return int(text)


class _Cells:
    """One row's cells by field name, collecting a problem per column."""

    def __init__(self, number: int, raw: dict, headings: dict[str, str]):
        self.number = number
        self.headings = headings
        self.cell = {name: str(raw.get(heading) or "").strip()
                     for name, heading in headings.items()}
        self.problems: list[RowError] = []

    def __getitem__(self, name: str) -> str:
        return self.cell.get(name, "")

    def has(self, name: str) -> bool:
        return bool(self.cell.get(name))

    def empty(self) -> bool:
        return not any(self.cell.values())

    def problem(self, name: str, message: str) -> None:
        self.problems.append(RowError(self.number, self.headings.get(name, name), message))

    def read(self, name: str, reader: Callable[[str], Any], *, required: bool = False):
        text = self[name]
        if not text:
            if required:
                self.problem(name, "is empty")
            return None
        try:
            return reader(text)
        except ValueError as exc:
            self.problem(name, str(exc))
            return None

    def choice(self, name: str, choices, aliases=None, *, required: bool = False):
        def read(text: str):
            found = _choice(text, choices, aliases)
            if found is None:
                raise ValueError(_one_of(choices))
            return found
        return self.read(name, read, required=required)

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        return self.read(name, file_date, required=required)


def _authorities() -> dict[str, Authority]:
    found = {}
    for authority in Authority.objects.all():
        found[_key(authority.ons_code)] = authority
        found.setdefault(_key(authority.name), authority)
    return found


def _field_error(exc: ValidationError, number: int, headings: dict[str, str],
                 names: dict[str, str], default: str) -> list[RowError]:
    """A service's refusal as row errors, each naming the file's column for its field."""
    if not hasattr(exc, "error_dict"):
        return [RowError(number, headings.get(default, default), " ".join(exc.messages))]
    errors = []
    for name, messages in exc.message_dict.items():
        column = names.get(name, name)
        # A field the file has no column for is named as a column to add ("Destination").
        heading = headings.get(column) or (headings.get(default, default) if name == "__all__"
                                           else column.replace("_", " ").capitalize())
        errors.append(RowError(number, heading, " ".join(messages)))
    return errors


class _TrialOver(Exception):
    """Raised to roll the trial back."""


def _trial(steps: list[tuple[int, Callable[[], Any]]],
           on_error: Callable[[int, ValidationError], None]) -> None:
    """Run each step through the services in a transaction that is then rolled back; a step
    the services refuse is reported (and its own writes undone) and the others go on."""
    try:
        with transaction.atomic():
            for number, step in steps:
                try:
                    with transaction.atomic():
                        step()
                except ValidationError as exc:
                    on_error(number, exc)
            raise _TrialOver
    except _TrialOver:
        pass


@dataclass
class Writes(ImportPlan):
    """What an import will write: the steps, in the file's order, and their description."""

    steps: list[tuple[int, Callable[[], Any]]] = field(default_factory=list)
    log: list = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def changes(self) -> list:
        return self.log

    def has_changes(self) -> bool:
        return bool(self.steps)


def _run_steps(plan: Writes, progress: Progress, what: str, reason: str) -> None:
    progress.start(len(plan.steps), what)
    with writes_from(reason):  # each history row says which import made it
        for _, step in plan.steps:
            step()
            progress.advance()
    progress.finish()


# --- Bed schemes -------------------------------------------------------------------------

SCHEME_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Scheme", "Scheme name", "Name"),
    "kind": ("Kind", "Kind of scheme", "Type", "Scheme type"),
    "cqc_id": ("CQC location ID", "Location ID", "CQC ID", "cqc_location_id"),
    "beds": ("Beds", "Beds commissioned", "Number of beds"),
    "starts_on": ("From", "Start", "Starts", "Start date"),
    "ends_on": ("To", "End", "Ends", "End date"),
    "client_groups": ("Client groups", "Client group"),
    "max_stay_days": ("Longest stay (days)", "Longest stay", "Longest intended stay (days)",
                      "Max stay days"),
    "funding_source": ("Funding source", "Funding", "Funded by"),
    "weekly_rate": ("Weekly rate", "Weekly rate per bed", "Rate"),
    "commissioned_by": ("Commissioned by", "Commissioner", "Commissioning organisation"),
    "cqc_assured_on": ("CQC assured", "CQC assurance date", "CQC assured on", "Assured"),
    "authority": ("Authority code", "Authority", "ONS code"),
    "payment_basis": ("Basis", "Payment basis"),
    "notes": ("Notes",),
}
SCHEME_REQUIRED = ("name", "kind", "cqc_id", "beds", "starts_on", "funding_source",
                   "weekly_rate", "commissioned_by")
# A service's field -> the file's column for it
SCHEME_FIELD_COLUMNS = {"location": "cqc_id", "from_date": "beds", "authority": "authority",
                        "__all__": "name"}


class SchemeOutcome(models.TextChoices):
    CREATED = "created", "schemes set up"
    UPDATED = "updated", "schemes changed"
    UNCHANGED = "unchanged", "schemes unchanged"
    OUTSIDE = OUTSIDE, "outside your authorities (left alone)"


@dataclass(kw_only=True)
class SchemeRow:
    row: int
    headings: dict[str, str]
    name: str
    kind: str
    cqc_id: str
    beds: int
    starts_on: dt.date
    funding_source: str
    weekly_rate: Decimal
    commissioned_by: str
    authority: str  # as the file gives it (blank: the service's)
    ends_on: dt.date | None = None
    client_groups: list[str] | None = None
    max_stay_days: int | None = None
    cqc_assured_on: dt.date | None = None
    payment_basis: str | None = None
    notes: str | None = None

    def heading(self, name: str) -> str:
        """The file's column for a field (its name when the file has none)."""
        return self.headings.get(name, name)


def _client_groups(text: str) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    for part in (p for p in SPLIT.split(text) if p):
        code = _choice(part, ClientGroup, GROUP_ALIASES)
        if code:
            found.append(code)
        else:
            unknown.append(part)
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a client group ("
                         + ", ".join(str(g.label) for g in ClientGroup) + ")")
    return found


class BedSchemeImporter(Importer):
    kind = "bed-schemes"
    label = "bed schemes"
    outcomes = SchemeOutcome
    capability = C.MANAGE_BEDS
    pages = ImportPages(upload="beds:import-schemes", done="beds:scheme-list",
                        done_label="Go to the bed schemes")
    title = "Import bed schemes"
    intro = ("Upload the list of commissioned beds: one row per scheme, with the columns "
             "Scheme, Kind, CQC location ID, Beds, From, To, Client groups, Longest stay "
             "(days), Funding source, Weekly rate, Commissioned by and CQC assured (and "
             "optionally Authority code and Basis).",
             "A scheme is matched by its name within its council: new ones are set up with "
             "their beds from their From date, known ones take the file's values. If any row "
             "has a problem, nothing is imported and every problem is listed. You will see "
             "what will change before anything is written.")
    file_hint = FILE_HINT

    def layout(self, fmt: str, headers: list[str]) -> dict[str, str]:
        return match_columns(headers, SCHEME_COLUMNS, SCHEME_REQUIRED)

    def parse(self, table: Table) -> tuple[list[SchemeRow], list[RowError]]:
        headings = table.layout or self.layout(table.format, table.headers)
        rows, errors = [], []
        for number, raw in table.rows:
            c = _Cells(number, raw, headings)
            if c.empty():
                continue
            for name in ("name", "cqc_id", "commissioned_by"):
                if not c.has(name):
                    c.problem(name, "is empty")
            values = {
                "kind": c.choice("kind", SchemeKind, KIND_ALIASES, required=True),
                "beds": c.read("beds", _whole, required=True),
                "starts_on": c.date("starts_on", required=True),
                "ends_on": c.date("ends_on"),
                "funding_source": c.choice("funding_source", FundingSource, FUNDING_ALIASES,
                                           required=True),
                "weekly_rate": c.read("weekly_rate", _money, required=True),
                "client_groups": c.read("client_groups", _client_groups),
                "max_stay_days": c.read("max_stay_days", lambda t: _whole(t, least=1)),
                "cqc_assured_on": c.date("cqc_assured_on"),
                "payment_basis": c.choice("payment_basis", PaymentBasis, BASIS_ALIASES),
                "notes": c["notes"] or None,
            }
            if c.problems:
                errors += c.problems
                continue
            rows.append(SchemeRow(row=number, headings=headings, name=" ".join(c["name"].split()),
                                  cqc_id=c["cqc_id"].upper(),
                                  commissioned_by=c["commissioned_by"],
                                  authority=c["authority"], **values))
        return rows, errors

    def plan(self, records: list[SchemeRow], context: Context) -> Writes:
        writes = Writes()
        errors, user, checks = context.errors, context.user, context.checks
        matches = match_locations("registry.Location", (r.cqc_id for r in records))
        authorities = _authorities()
        organisations = {_key(o.name): o for o in Organisation.objects.filter(
            kind__in=selectors.COMMISSIONERS)}
        involved = {m.authority_id for m in matches.values()} | {
            authorities[_key(r.authority)].pk for r in records
            if r.authority and _key(r.authority) in authorities}
        existing = {(s.authority_id, _key(s.name)): s for s in BedScheme.objects.filter(
            authority_id__in=involved).prefetch_related("capacities")}
        seen: dict[tuple[int, str], int] = {}
        for row in records:
            heading = row.heading
            match = matches.get(row.cqc_id)
            if match is None:
                errors.append(RowError(row.row, heading("cqc_id"), (
                    f"{row.cqc_id!r} is not the CQC location ID of any service on the "
                    "register")))
                continue
            if row.authority:
                authority = authorities.get(_key(row.authority))
                if authority is None:
                    errors.append(RowError(row.row, heading("authority"), (
                        f"{row.authority!r} is not an authority's ONS code or name")))
                    continue
            else:
                authority = Authority(pk=match.authority_id, name=match.authority_name)
            inside = context.scope.everywhere or (
                authority.pk in context.scope.authority_ids
                and context.scope.allows_location(match))
            checks.coverage.add(authority.name, inside)
            if not inside:
                writes.counts[OUTSIDE] += 1
                continue
            organisation = organisations.get(_key(row.commissioned_by))
            if organisation is None:
                errors.append(RowError(row.row, heading("commissioned_by"), (
                    f"{row.commissioned_by!r} is not an organisation in Caresight (a council "
                    "or NHS partner)")))
                continue
            key = (authority.pk, _key(row.name))
            if key in seen:
                errors.append(RowError(row.row, heading("name"), (
                    f"{row.name} is also in row {seen[key]}")))
                continue
            seen[key] = row.row
            scheme = existing.get(key)
            if scheme is None:
                self._plan_new(writes, row, authority.pk, match.pk, organisation.pk, user)
            else:
                self._plan_change(writes, row, scheme, match.pk, organisation.pk, user)
        rows = records_by_row(records)
        _trial(writes.steps, lambda number, exc: errors.extend(_field_error(
            exc, number, rows[number].headings, SCHEME_FIELD_COLUMNS, "name")))
        return writes

    def _plan_new(self, writes: Writes, row: SchemeRow, authority_id: int, location_id: int,
                  organisation_id: int, user) -> None:
        values = {"name": row.name, "kind": row.kind, "beds": row.beds,
                  "funding_source": row.funding_source, "weekly_rate": row.weekly_rate,
                  "starts_on": row.starts_on, "ends_on": row.ends_on,
                  "client_groups": row.client_groups or [],
                  "max_stay_days": row.max_stay_days, "cqc_assured_on": row.cqc_assured_on,
                  "payment_basis": row.payment_basis, "notes": row.notes or ""}

        def step():
            services.scheme_create(
                authority=Authority.objects.get(pk=authority_id),
                location=Location.objects.get(pk=location_id),
                commissioned_by=Organisation.objects.get(pk=organisation_id), user=user,
                **values)

        writes.steps.append((row.row, step))
        writes.log.append(["new", authority_id, location_id, organisation_id,
                           {k: str(v) for k, v in values.items()}])
        writes.counts[SchemeOutcome.CREATED] += 1

    def _plan_change(self, writes: Writes, row: SchemeRow, scheme: BedScheme, location_id: int,
                     organisation_id: int, user) -> None:
        wanted: dict[str, Any] = {
            "kind": row.kind, "location": location_id, "funding_source": row.funding_source,
            "weekly_rate": row.weekly_rate, "commissioned_by": organisation_id,
            "starts_on": row.starts_on}
        for name in ("ends_on", "client_groups", "max_stay_days", "cqc_assured_on",
                     "payment_basis", "notes"):
            value = getattr(row, name)
            if value is not None:  # a blank cell leaves the scheme's value as it is
                wanted[name] = value
        now = {"kind": scheme.kind, "location": scheme.location_id,
               "funding_source": scheme.funding_source, "weekly_rate": scheme.weekly_rate,
               "commissioned_by": scheme.commissioned_by_id, "starts_on": scheme.starts_on,
               "ends_on": scheme.ends_on, "client_groups": scheme.client_groups,
               "max_stay_days": scheme.max_stay_days, "cqc_assured_on": scheme.cqc_assured_on,
               "payment_basis": scheme.payment_basis, "notes": scheme.notes}
        changes = {k: v for k, v in wanted.items()
                   if (sorted(v) if k == "client_groups" else v)
                   != (sorted(now[k]) if k == "client_groups" else now[k])}
        capacities = sorted(scheme.capacities.all(), key=lambda c: c.from_date)
        first_beds = capacities[0].beds if capacities else None
        beds_change = row.beds != first_beds
        if not changes and not beds_change:
            writes.counts[SchemeOutcome.UNCHANGED] += 1
            return
        scheme_id = scheme.pk

        def step():
            found = BedScheme.objects.get(pk=scheme_id)
            if changes:
                objects = dict(changes)
                if "location" in objects:
                    objects["location"] = Location.objects.get(pk=objects["location"])
                if "commissioned_by" in objects:
                    objects["commissioned_by"] = Organisation.objects.get(
                        pk=objects["commissioned_by"])
                found = services.scheme_update(scheme=found, user=user, **objects)
            if beds_change:
                services.capacity_set(scheme=found, from_date=found.starts_on, beds=row.beds,
                                      user=user, note="Beds from the imported list")

        writes.steps.append((row.row, step))
        writes.log.append(["change", scheme_id, {k: str(v) for k, v in changes.items()},
                           row.beds if beds_change else None])
        writes.counts[SchemeOutcome.UPDATED] += 1

    def apply(self, plan, *, user, reason: str, progress: Progress) -> None:
        _run_steps(plan, progress, "Saving bed schemes", reason)


def records_by_row(records: list) -> dict[int, Any]:
    return {r.row: r for r in records}


# --- Placements --------------------------------------------------------------------------

PLACEMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "scheme": ("Scheme", "Scheme name"),
    "bed_number": ("Bed", "Bed number"),
    "person_reference": ("Person reference", "Reference", "Person ref"),
    "nhs_number": ("NHS number", "NHS no", "NHS"),
    "source": ("From", "Source", "Admitted from"),
    "hospital_trust": ("Hospital trust", "Trust"),
    "hospital_site": ("Hospital site", "Site", "Hospital"),
    "admitted_on": ("Admitted", "Admitted on", "Admission date", "Date admitted"),
    "expected_discharge_on": ("Expected discharge", "Expected discharge date"),
    "discharged_on": ("Discharged", "Discharged on", "Discharge date", "Date discharged"),
    "destination": ("Destination", "Discharge destination"),
    "covid_status": ("COVID-19 status", "COVID status", "Covid-19 status on admission",
                     "COVID-19 status on admission"),
    "pathway": ("Pathway",),
    "funding_source": ("Funding source", "Funding"),
    "authority": ("Authority code", "Authority", "ONS code"),
    "notes": ("Notes",),
}
PLACEMENT_REQUIRED = ("scheme", "person_reference", "admitted_on", "covid_status", "pathway")
PLACEMENT_FIELD_COLUMNS = {"__all__": "person_reference"}


class PlacementOutcome(models.TextChoices):
    CREATED = "created", "placements added"
    UPDATED = "updated", "placements changed"
    UNCHANGED = "unchanged", "placements unchanged"
    OUTSIDE = OUTSIDE, "outside your authorities (left alone)"


@dataclass(kw_only=True)
class PlacementRow:
    row: int
    headings: dict[str, str]
    scheme: str
    authority: str
    person_reference: str
    admitted_on: dt.date
    covid_status: str
    pathway: str
    source: str | None = None
    nhs_number: str = ""
    bed_number: int | None = None
    hospital_trust: str | None = None
    hospital_site: str | None = None
    expected_discharge_on: dt.date | None = None
    discharged_on: dt.date | None = None
    destination: str | None = None
    funding_source: str | None = None
    notes: str | None = None

    def heading(self, name: str) -> str:
        """The file's column for a field (its name when the file has none)."""
        return self.headings.get(name, name)


class PlacementImporter(Importer):
    kind = "placements"
    label = "bed placements"
    outcomes = PlacementOutcome
    capability = C.PLACE_BEDS
    pages = ImportPages(upload="beds:import-placements", done="beds:placement-list",
                        done_label="Go to the placements")
    title = "Import placements"
    intro = ("Upload the list of people placed in commissioned beds: one row per placement, "
             "with the columns Scheme, Bed, Person reference, NHS number, From, Hospital "
             "trust, Hospital site, Admitted, Expected discharge, Discharged, Destination, "
             "COVID-19 status, Pathway and Funding source. Never put a name in the file: a "
             "person is known by a reference such as CH-0412, and an NHS number is kept only "
             "as a keyed hash.",
             "A placement is matched by its scheme, person reference and admission date. If "
             "any row has a problem (two people in one bed, more people than beds, a "
             "discharge before the admission…), nothing is imported and every problem is "
             "listed.")
    file_hint = FILE_HINT

    def layout(self, fmt: str, headers: list[str]) -> dict[str, str]:
        return match_columns(headers, PLACEMENT_COLUMNS, PLACEMENT_REQUIRED)

    def parse(self, table: Table) -> tuple[list[PlacementRow], list[RowError]]:
        headings = table.layout or self.layout(table.format, table.headers)
        rows, errors = [], []
        for number, raw in table.rows:
            c = _Cells(number, raw, headings)
            if c.empty():
                continue
            for name in ("scheme", "person_reference"):
                if not c.has(name):
                    c.problem(name, "is empty")
            values = {
                "bed_number": c.read("bed_number", lambda t: _whole(t, least=1)),
                "admitted_on": c.date("admitted_on", required=True),
                "expected_discharge_on": c.date("expected_discharge_on"),
                "discharged_on": c.date("discharged_on"),
                "destination": c.choice("destination", Destination, DESTINATION_ALIASES),
                "covid_status": c.choice("covid_status", CovidStatus, COVID_ALIASES,
                                         required=True),
                "pathway": c.choice("pathway", Pathway, PATHWAY_ALIASES, required=True),
                "source": c.choice("source", Source),
                "funding_source": c.choice("funding_source", FundingSource, FUNDING_ALIASES),
            }
            nhs_number = c["nhs_number"]
            if nhs_number:
                try:
                    nhs_number_hash(nhs_number)
                except ValidationError as exc:
                    c.problem("nhs_number", " ".join(exc.messages))
            if c.problems:
                errors += c.problems
                continue
            if values["source"] is None:
                values["source"] = Source.HOSPITAL if c.has("hospital_trust") or c.has(
                    "hospital_site") else Source.COMMUNITY
            rows.append(PlacementRow(
                row=number, headings=headings, scheme=" ".join(c["scheme"].split()),
                authority=c["authority"], person_reference=c["person_reference"],
                nhs_number=nhs_number, hospital_trust=c["hospital_trust"] or None,
                hospital_site=c["hospital_site"] or None, notes=c["notes"] or None, **values))
        return rows, errors

    def plan(self, records: list[PlacementRow], context: Context) -> Writes:
        writes = Writes()
        errors, user = context.errors, context.user
        authorities = _authorities()
        placeable = tenancy.in_scope(user, C.PLACE_BEDS, BedScheme).select_related("authority")
        by_name: dict[str, list[BedScheme]] = {}
        for scheme in placeable.filter(name__in={r.scheme for r in records}) if records \
                else []:
            by_name.setdefault(_key(scheme.name), []).append(scheme)
        if records and len(by_name) < len({_key(r.scheme) for r in records}):
            for scheme in placeable:  # names given in another case or spacing
                if scheme not in by_name.get(_key(scheme.name), []):
                    by_name.setdefault(_key(scheme.name), []).append(scheme)
        scheme_ids = {s.pk for found in by_name.values() for s in found}
        existing = {(p.scheme_id, _key(p.person_reference), p.admitted_on): p
                    for p in Placement.objects.filter(scheme_id__in=scheme_ids)}
        seen: dict[tuple, int] = {}
        for row in records:
            heading = row.heading
            candidates = by_name.get(_key(row.scheme), [])
            if row.authority:
                authority = authorities.get(_key(row.authority))
                if authority is None:
                    errors.append(RowError(row.row, heading("authority"), (
                        f"{row.authority!r} is not an authority's ONS code or name")))
                    continue
                candidates = [s for s in candidates if s.authority_id == authority.pk]
                if not candidates and not self._may_place_in(context, authority):
                    # Another council's row: counted and left alone, as for services.
                    context.checks.coverage.add(authority.name, False)
                    writes.counts[OUTSIDE] += 1
                    continue
            if not candidates:
                errors.append(RowError(row.row, heading("scheme"), (
                    f"There is no bed scheme called {row.scheme!r} that you may place people "
                    "in")))
                continue
            if len(candidates) > 1:
                errors.append(RowError(row.row, heading("scheme"), (
                    f"More than one council has a scheme called {row.scheme!r}: add an "
                    "Authority code column to say whose")))
                continue
            scheme = candidates[0]
            context.checks.coverage.add(scheme.authority.name, True)
            key = (scheme.pk, _key(row.person_reference), row.admitted_on)
            if key in seen:
                errors.append(RowError(row.row, heading("person_reference"), (
                    f"{row.person_reference} admitted on {row.admitted_on:%d/%m/%Y} is also "
                    f"in row {seen[key]}")))
                continue
            seen[key] = row.row
            placement = existing.get(key)
            if placement is None:
                self._plan_new(writes, row, scheme, user)
            else:
                self._plan_change(writes, row, placement, user)
        rows = records_by_row(records)
        _trial(writes.steps, lambda number, exc: errors.extend(_field_error(
            exc, number, rows[number].headings, PLACEMENT_FIELD_COLUMNS, "person_reference")))
        return writes

    def _may_place_in(self, context: Context, authority: Authority) -> bool:
        s = context.scope
        return s.everywhere or authority.pk in s.authority_ids or any(
            a == authority.pk for _, a in s.funder_grants)

    def _plan_new(self, writes: Writes, row: PlacementRow, scheme: BedScheme, user) -> None:
        details = {name: getattr(row, name) for name in (
            "bed_number", "hospital_trust", "hospital_site", "expected_discharge_on",
            "discharged_on", "destination", "notes") if getattr(row, name) is not None}
        scheme_id = scheme.pk

        def step():
            services.placement_create(
                scheme=BedScheme.objects.get(pk=scheme_id),
                person_reference=row.person_reference, admitted_on=row.admitted_on,
                source=row.source, covid_status=row.covid_status, pathway=row.pathway,
                nhs_number=row.nhs_number, funding_source=row.funding_source or "",
                user=user, **details)

        writes.steps.append((row.row, step))
        # The fingerprint holds no NHS number, only whether one was given.
        writes.log.append(["new", scheme_id, row.person_reference, str(row.admitted_on),
                           row.source, row.covid_status, row.pathway, row.funding_source,
                           bool(row.nhs_number), {k: str(v) for k, v in details.items()}])
        writes.counts[PlacementOutcome.CREATED] += 1

    def _plan_change(self, writes: Writes, row: PlacementRow, placement: Placement,
                     user) -> None:
        changes = {}
        for name in ("bed_number", "source", "hospital_trust", "hospital_site",
                     "expected_discharge_on", "discharged_on", "destination", "covid_status",
                     "pathway", "funding_source", "notes"):
            value = getattr(row, name)
            # A blank cell leaves the placement's value as it is (never erases a discharge).
            if value is not None and value != getattr(placement, name):
                changes[name] = value
        if row.person_reference != placement.person_reference:
            changes["person_reference"] = row.person_reference
        nhs_number = ""
        if row.nhs_number and nhs_number_hash(row.nhs_number) != placement.nhs_number_hash:
            nhs_number = row.nhs_number
        if not changes and not nhs_number:
            writes.counts[PlacementOutcome.UNCHANGED] += 1
            return
        placement_id = placement.pk

        def step():
            services.placement_update(placement=Placement.objects.get(pk=placement_id),
                                      user=user, nhs_number=nhs_number or None,
                                      **changes)

        writes.steps.append((row.row, step))
        writes.log.append(["change", placement_id, {k: str(v) for k, v in changes.items()},
                           bool(nhs_number)])
        writes.counts[PlacementOutcome.UPDATED] += 1

    def apply(self, plan, *, user, reason: str, progress: Progress) -> None:
        _run_steps(plan, progress, "Saving placements", reason)
