"""Writes to the care provider register. Every write is validated, atomic and audited."""

import datetime as dt
import re
from collections.abc import Iterable
from itertools import chain
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from caresight.core.audit import bulk_create_audited, bulk_update_audited, save_audited
from caresight.core.files import RowError
from caresight.core.imports import OUTSIDE, Context, Importer, ImportPages, ImportResult, Plan
from caresight.core.phones import phone_display
from caresight.core.progress import Progress

from . import bulk, cqc
from .models import (
    Authority,
    Locality,
    LocalityArea,
    Location,
    Provider,
    RegistrationStatus,
    ServiceType,
    postcode_district,
)

# Fields of a location the CQC import may set.
CQC_LOCATION_FIELDS = [
    "name", "provider_id", "authority_id", "locality_id", "address_line_1", "address_line_2",
    "town", "postcode", "phone", "manager_name", "ods_code", "service_type", "client_groups",
    "cqc_specialisms", "registered_beds", "registration_status", "registration_date",
    "deregistration_date", "cqc_rating", "cqc_rating_date",
]
BATCH = 2000
# A location's columns (attribute names, in table order) and what a new one starts with.
LOCATION_COLUMNS = bulk.columns(Location)
PROVIDER_FIELDS = ["name", "phone", "website"]


class LocalityResolver:
    """Finds the locality of a location from its postcode district, else its district code."""

    def __init__(self, authority_ids: Iterable[int] | None = None):
        areas, localities = LocalityArea.objects.all(), Locality.objects.all()
        if authority_ids is not None:
            areas = areas.filter(authority_id__in=list(authority_ids))
            localities = localities.filter(authority_id__in=list(authority_ids))
        self.areas = {(a.authority_id, a.kind, a.code): a.locality_id for a in areas}
        self.localities = {locality.pk: locality for locality in localities}

    def locality_id(self, authority_id: int, postcode: str, district_code: str) -> int | None:
        return self.areas.get(
            (authority_id, LocalityArea.Kind.POSTCODE_DISTRICT, postcode_district(postcode))
        ) or self.areas.get((authority_id, LocalityArea.Kind.DISTRICT, district_code or ""))


class AuthorityMatcher:
    """Matches an authority by ONS code or by name, preferring one that exists today."""

    def __init__(self, today: dt.date):
        self.by_code: dict[str, Authority] = {}
        self.by_name: dict[str, Authority] = {}
        for authority in Authority.objects.order_by("valid_to"):
            self.by_code[authority.ons_code] = authority
            current = authority.valid_to is None or authority.valid_to >= today
            key = normalise_authority_name(authority.name)
            if current or key not in self.by_name:
                self.by_name[key] = authority
        self._matched: dict[str, Authority | None] = {}  # a national file names each often

    def match(self, text: str) -> Authority | None:
        if text not in self._matched:
            key = text.strip()
            self._matched[text] = self.by_code.get(key.upper()) or self.by_name.get(
                normalise_authority_name(key))
        return self._matched[text]


def normalise_authority_name(name: str) -> str:
    name = name.lower().replace("&", " and ")
    name = re.sub(r"\b(city of|county of|council|royal borough of|london borough of)\b", " ", name)
    return re.sub(r"[^a-z0-9]", "", name)


# --- Localities ---------------------------------------------------------------------------


@transaction.atomic
def locality_create(
    *, authority: Authority, name: str, district_codes: Iterable[str] = (),
    postcode_districts: Iterable[str] = (), user,
) -> Locality:
    """Create a locality with the areas that belong to it, and place the authority's services."""
    locality = save_audited(Locality(authority=authority, name=name.strip()), user=user)
    areas = [
        LocalityArea(locality=locality, authority=authority, kind=kind, code=code.strip().upper())
        for kind, codes in (
            (LocalityArea.Kind.DISTRICT, district_codes),
            (LocalityArea.Kind.POSTCODE_DISTRICT, postcode_districts),
        )
        for code in codes
        if code.strip()
    ]
    for area in areas:
        area.full_clean()
    bulk_create_audited(areas, LocalityArea, user=user, reason="Locality created")
    locations_assign_localities(authority=authority, user=user)
    return locality


@transaction.atomic
def locations_assign_localities(*, authority: Authority, user) -> int:
    """Put each of the authority's services in the locality its areas say; return how many moved."""
    resolver = LocalityResolver([authority.pk])
    moved = []
    for location in Location.objects.filter(authority=authority):
        locality_id = resolver.locality_id(
            location.authority_id, location.postcode, location.district_code
        )
        if locality_id and locality_id != location.locality_id:
            location.locality_id = locality_id
            moved.append(location)
    bulk_update_audited(moved, Location, ["locality"], user=user, reason="Locality assigned")
    return len(moved)


# --- Providers and locations --------------------------------------------------------------


@transaction.atomic
def provider_create(*, user, home_authority: Authority | None = None, **fields) -> Provider:
    return save_audited(Provider(home_authority=home_authority, **_phone_written(fields)),
                        user=user)


@transaction.atomic
def provider_update(*, provider: Provider, user, **fields) -> Provider:
    for name, value in _phone_written(fields).items():
        setattr(provider, name, value)
    return save_audited(provider, user=user)


def _phone_written(fields: dict) -> dict:
    """Telephone numbers are kept as people write them in Britain ("01392 491261")."""
    if "phone" in fields:
        fields = dict(fields, phone=phone_display(fields["phone"]))
    return fields


@transaction.atomic
def location_create(*, user, **fields) -> Location:
    """Add a service to the register; its locality follows from its postcode or district."""
    location = Location(**_phone_written(fields))
    if not location.locality_id and location.authority_id:
        location.locality_id = LocalityResolver([location.authority_id]).locality_id(
            location.authority_id, location.postcode, location.district_code
        )
    return save_audited(location, user=user)


@transaction.atomic
def location_update(*, location: Location, user, **fields) -> Location:
    """Change a service's details (validated by Location.clean, among others)."""
    for name, value in _phone_written(fields).items():
        setattr(location, name, value)
    return save_audited(location, user=user)


# --- CQC import ---------------------------------------------------------------------------


class CqcOutcome(TextChoices):
    CREATED = "created", "created"
    UPDATED = "updated", "updated"
    UNCHANGED = "unchanged", "unchanged"
    DEREGISTERED = "deregistered", "deregistered"
    PROVIDERS_CREATED = "providers_created", "providers created"
    PROVIDERS_UPDATED = "providers_updated", "providers updated"
    PROVIDERS_UNCHANGED = "providers_unchanged", "providers unchanged"
    OUTSIDE = OUTSIDE, "outside your authorities (left alone)"


class CqcImporter(Importer):
    """CQC locations (API objects or the care directory) and CQC providers, matched by CQC ID.

    New services and providers are added and changed ones updated, all or nothing. Rows for
    services outside the importing user's authorities are counted and left alone, so a council
    can import the national file and take only its own services. A provider with services in
    other councils' areas is shared: a scoped import may add services to it but not change it.
    """

    kind = "cqc"
    label = "CQC locations"
    outcomes = CqcOutcome
    quiet = frozenset({OUTSIDE, CqcOutcome.PROVIDERS_UNCHANGED.value})
    pages = ImportPages("registry:import", "registry:location-list", "Go to the register")
    title = "Import locations from CQC"
    intro = (
        "Services are matched by CQC location ID and providers by CQC provider ID: new ones are "
        "added and changed ones updated. A file of CQC providers (API provider objects, or the "
        "care directory's provider columns) gives providers their names, telephone numbers and "
        "websites. If any row has a problem, nothing is imported and every problem is listed.",
    )
    file_hint = ("CQC API locations or providers as JSON or JSON lines, or the CQC care "
                 "directory as CSV, XLSX or ODS. You will see what will change before anything "
                 "is saved.")

    def layout(self, fmt: str, headers: list[str]) -> cqc.Layout:
        return cqc.layout(fmt, headers)

    def parse(self, table):
        return cqc.parse(table)

    def plan(self, records: list, context: Context) -> "_CqcPlan":
        if records and isinstance(records[0], cqc.ProviderRecord):
            return _plan_provider_rows(records, context)
        return _plan_cqc_changes(records, context)

    def apply(self, plan, *, user, reason: str, progress: Progress) -> None:
        progress.start(1, "Saving changes")
        _apply_cqc_plan(plan, user=user, reason=reason)
        progress.finish()

    def reason(self, file_name: str) -> str:
        return f"CQC import: {file_name}"[:100]


def cqc_import(
    *, data: bytes, file_name: str, user, dry_run: bool, progress: Progress | None = None,
    expected_fingerprint: str | None = None,
) -> ImportResult:
    """Create or update providers and locations from a CQC file, all or nothing (CqcImporter)."""
    return CqcImporter().run(data=data, file_name=file_name, user=user, dry_run=dry_run,
                             progress=progress, expected_fingerprint=expected_fingerprint)


class _CqcPlan(Plan):
    def __init__(self) -> None:
        super().__init__()
        self.providers: dict[str | None, Provider] = {}  # every provider named in the file
        self.new_providers: dict[str, Provider] = {}
        self.changed_providers: list[Provider] = []
        self.new_locations: list[tuple[Location, str]] = []  # with the provider's CQC ID
        self.changed_locations: list[tuple[Location, str, list[str]]] = []
        self.log: list = []  # every change and new provider, with the values before and after

    def count(self) -> None:
        O = CqcOutcome  # noqa: E741, N806
        self.counts[O.CREATED] = len(self.new_locations)
        self.counts[O.UPDATED] = len(self.changed_locations)
        self.counts[O.PROVIDERS_CREATED] = len(self.new_providers)
        self.counts[O.PROVIDERS_UPDATED] = len(self.changed_providers)

    def has_changes(self) -> bool:
        return bool(self.log or self.new_locations)

    def changes(self) -> list:
        # New services are listed from the plan's own objects only when asked (a preview's
        # fingerprint): a national first import has tens of thousands.
        return self.log + [
            ["location+", location.cqc_location_id, provider_cqc_id,
             {name: getattr(location, name) for name in CQC_LOCATION_FIELDS
              if name != "provider_id"}]
            for location, provider_cqc_id in self.new_locations
        ]


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing_providers(cqc_ids) -> dict[str | None, Provider]:
    providers: dict[str | None, Provider] = {}
    for chunk in _chunks(sorted(set(cqc_ids))):
        providers.update((p.cqc_provider_id, p) for p in Provider.objects.filter(
            cqc_provider_id__in=chunk))
    return providers


def _existing_locations(cqc_ids) -> dict[str, tuple]:
    """The register's services with these CQC location IDs: each row's column values (in
    `LOCATION_COLUMNS` order), by ID. Plain rows: most of a national file is unchanged, and
    only the services that change are made into model objects."""
    found: dict[str, tuple] = {}
    at = LOCATION_COLUMNS.index("cqc_location_id")
    for chunk in _chunks(sorted(set(cqc_ids))):
        found.update((row[at], row) for row in Location.objects.filter(
            cqc_location_id__in=chunk).order_by().values_list(*LOCATION_COLUMNS))
    return found


def _shared_providers(providers, allowed_authority_ids: frozenset[int] | None) -> set[int]:
    """Providers with services (or a home) outside these authorities: not a scoped import's."""
    if allowed_authority_ids is None:
        return set()
    pks = [p.pk for p in providers.values() if p.pk]
    shared: set[int] = set()
    for chunk in _chunks(pks):
        shared |= set(Location.objects.filter(provider_id__in=chunk)
                      .exclude(authority_id__in=allowed_authority_ids)
                      .values_list("provider_id", flat=True))
    return shared | {p.pk for p in providers.values()
                     if p.home_authority_id and p.home_authority_id not in allowed_authority_ids}


def _provider_change(plan: _CqcPlan, provider: Provider, values: dict, row_label) -> bool:
    """Set the provider's new values; log and list it if anything changed."""
    changed = {name: [getattr(provider, name), value] for name, value in values.items()
               if value not in (None, "") and getattr(provider, name) != value}
    if not changed:
        return False
    for name, (_, value) in changed.items():
        setattr(provider, name, value)
    if provider not in plan.changed_providers:
        plan.changed_providers.append(provider)
    plan.log.append(["provider~", provider.cqc_provider_id, changed])
    return True


def _new_provider(plan: _CqcPlan, cqc_id: str, name: str, values: dict) -> Provider:
    provider = Provider(cqc_provider_id=cqc_id, name=name, **values)
    plan.providers[cqc_id] = plan.new_providers[cqc_id] = provider
    plan.log.append(["provider+", cqc_id, {"name": name, **values}])
    return provider


def _plan_provider_rows(records: list[cqc.ProviderRecord], context: Context) -> _CqcPlan:
    """Name (and give the telephone and website of) the providers in a file of providers."""
    plan = _CqcPlan()
    checks, scope = context.checks, context.scope
    allowed = None if scope.everywhere else scope.authority_ids
    providers = plan.providers = _existing_providers(r.cqc_id for r in records)
    shared = _shared_providers(providers, allowed)
    areas: dict[int, set[int]] = {}
    for chunk in _chunks([p.pk for p in providers.values()]):
        for provider_id, authority_id in Location.objects.filter(
                provider_id__in=chunk).values_list("provider_id", "authority_id").distinct():
            areas.setdefault(provider_id, set()).add(authority_id)
    matcher = AuthorityMatcher(timezone.localdate())
    names = dict(Authority.objects.values_list("pk", "name"))
    context.progress.start(len(records), "Checking rows")
    for record in records:
        existing = providers.get(record.cqc_id)
        home = matcher.match(record.authority_text) if record.authority_text else None
        if existing is not None and areas.get(existing.pk):
            authority_ids = sorted(areas[existing.pk])
        elif home is not None:
            authority_ids = [home.pk]
        else:
            authority_ids = []
        where = (names[authority_ids[0]] if len(authority_ids) == 1 else
                 "several authorities" if authority_ids else "no authority given")
        inside = allowed is None or (
            bool(authority_ids) and all(a in allowed for a in authority_ids)
            and not (existing is not None and existing.pk in shared))
        checks.coverage.add(where, inside)
        if not inside:
            plan.counts[CqcOutcome.OUTSIDE] += 1
            continue
        if not checks.not_duplicate(record):
            continue
        if existing is None:
            _new_provider(plan, record.cqc_id, record.name, record.values)
        elif not _provider_change(plan, existing, {"name": record.name, **record.values},
                                  record.labels):
            plan.counts[CqcOutcome.PROVIDERS_UNCHANGED] += 1
    context.progress.finish()
    plan.count()
    return plan


class LocationChecks:
    """What `location.full_clean(exclude=<every field but those checked>, validate_unique=False,
    validate_constraints=False)` finds for each of many services, checked a column at a time.

    Each field's own checks (`Field.clean`: its type, choices, length and validators, which
    depend on the value alone) are made once for each distinct value in the column, and only
    the services with a value that fails (or that cleaning changes) are visited again.
    `Location.clean` (the rules across fields) runs for every service.
    """

    def __init__(self) -> None:
        # field -> {(type, value): (passed, cleaned value or errors, cleaning changed it)}
        self.fields: list[tuple[Any, bool, dict]] = [
            (f, f.get_internal_type() == "JSONField", {})
            for f in Location._meta.fields if not f.generated]

    def message_dicts(self, items: list[tuple[Location, set[str]]]) -> list[dict]:
        """For each (service, names of the fields to check), the messages by field name ({}
        if none), as ValidationError.message_dict has them."""
        errors: list[dict] = [{} for _ in items]
        locations = [location for location, _ in items]
        groups: dict[frozenset[str], list[int]] = {}  # rows that check the same fields
        for i, (_, checked) in enumerate(items):
            groups.setdefault(frozenset(checked), []).append(i)
        for field, is_json, outcomes in self.fields:
            members = [m for names, m in groups.items() if field.name in names]
            if not members:
                continue
            rows = members[0] if len(members) == 1 else sorted(chain.from_iterable(members))
            chosen = locations if len(rows) == len(items) else [locations[i] for i in rows]
            raws = [getattr(location, field.attname) for location in chosen]
            if is_json:
                keys = [(type(r), tuple(r) if type(r) is list else r) for r in raws]
            else:
                keys = list(zip(map(type, raws), raws, strict=True))
            try:
                by_key = dict(zip(keys, raws, strict=True))  # one value of each kind
            except TypeError:  # a value that cannot be a key (JSON objects): each row its own
                for i, location, raw in zip(rows, chosen, raws, strict=True):
                    self._note(errors[i], field, location, self._clean(field, raw, location))
                continue
            for key in by_key.keys() - outcomes.keys():
                outcomes[key] = self._clean(field, by_key[key], chosen[0])
            revisit = {key for key in by_key if not outcomes[key][0] or outcomes[key][2]}
            if revisit:
                for key, i, location in zip(keys, rows, chosen, strict=True):
                    if key in revisit:
                        self._note(errors[i], field, location, outcomes[key])
        messages = []
        for (location, _), found in zip(items, errors, strict=True):
            try:
                location.clean()
            except ValidationError as exc:
                found = exc.update_error_dict(found)
            messages.append(ValidationError(found).message_dict if found else {})
        return messages

    @staticmethod
    def _clean(field, raw, location: Location) -> tuple[bool, Any, bool]:
        if field.blank and raw in field.empty_values:
            return True, raw, False  # Model.clean_fields does not check it
        try:
            value = field.clean(raw, location)
        except ValidationError as exc:
            return False, exc.error_list, False
        return True, value, value is not raw and (type(value) is not type(raw) or value != raw)

    @staticmethod
    def _note(errors: dict, field, location: Location, outcome: tuple[bool, Any, bool]) -> None:
        passed, value, changed = outcome
        if not passed:
            errors[field.name] = value
        elif changed:
            setattr(location, field.attname, value)


def _plan_cqc_changes(records: list[cqc.CqcRecord], context: Context) -> _CqcPlan:
    plan = _CqcPlan()
    errors, checks, progress = context.errors, context.checks, context.progress
    allowed_authority_ids = None if context.scope.everywhere else context.scope.authority_ids
    matcher = AuthorityMatcher(timezone.localdate())
    existing_locations = _existing_locations(r.location_id for r in records)
    providers = plan.providers = _existing_providers(r.provider_id for r in records)
    resolver = LocalityResolver()
    location_checks = LocationChecks()
    # A provider with services elsewhere is shared with other councils: a scoped import
    # may add services to it but not change it.
    shared = _shared_providers(providers, allowed_authority_ids)
    column = {name: i for i, name in enumerate(LOCATION_COLUMNS)}
    # What a new service starts with: the model's defaults; a file without service types adds
    # services as "other" until someone says.
    new_row = [f.get_default() for f in Location._meta.concrete_fields]
    new_row[column["service_type"]] = ServiceType.OTHER
    new_row[column["created_at"]] = new_row[column["updated_at"]] = timezone.now()
    lists = [i for i, value in enumerate(new_row) if isinstance(value, list)]
    at_authority, at_postcode, at_district, at_locality, at_status, at_provider = (
        column[n] for n in ("authority_id", "postcode", "district_code", "locality_id",
                            "registration_status", "provider_id"))
    deregistered = RegistrationStatus.DEREGISTERED
    candidates: list[tuple[cqc.CqcRecord, Location, dict, bool]] = []
    to_check: list[tuple[Location, set[str]]] = []  # checked together once all are read

    progress.start(len(records), "Checking rows")
    for index, record in enumerate(records):
        if index % 500 == 0 and index:
            progress.advance(500)
        authority = matcher.match(record.authority_text)
        if authority is None:
            errors.append(RowError(record.row, record.authority_field,
                                   f"{record.authority_text!r} is not an English authority with "
                                   "social care duties (give its name or ONS code)"))
            continue
        existing: tuple = existing_locations.get(record.location_id) or ()
        if not checks.inside_authority(
                authority.pk, authority.name,
                also=[existing[at_authority]] if existing else []):
            plan.counts[CqcOutcome.OUTSIDE] += 1
            continue
        if not checks.not_duplicate(record) or not all([
            checks.not_future(record.row, record.label_for("registration_date"),
                              record.values.get("registration_date")),
            checks.not_future(record.row, record.label_for("rating_date"),
                              record.values.get("cqc_rating_date")),
        ]):
            continue
        provider = providers.get(record.provider_id)
        if provider is None:
            provider = _new_provider(
                plan, record.provider_id,
                record.provider_name or f"CQC provider {record.provider_id}",
                record.provider_values)
        elif provider.pk and provider.pk not in shared:
            _provider_change(plan, provider, {"name": record.provider_name,
                                              **record.provider_values}, record.labels)

        is_new = not existing
        values = dict(record.values, authority_id=authority.pk)
        if is_new:
            row = list(new_row)
            for i in lists:
                row[i] = []  # each its own
            row[column["cqc_location_id"]] = record.location_id
            for name, value in values.items():
                row[column[name]] = value
            postcode, district, locality_id = row[at_postcode], "", None
            same_authority = True
        else:
            row = list(existing)
            postcode = values.get("postcode", existing[at_postcode])
            district, locality_id = existing[at_district], existing[at_locality]
            same_authority = existing[at_authority] == authority.pk
        values["locality_id"] = resolver.locality_id(authority.pk, postcode, district) or (
            locality_id if same_authority and not is_new else None)
        changed = {}
        if not is_new:
            changed = {name: [row[column[name]], value] for name, value in values.items()
                       if row[column[name]] != value}
            if provider.pk != existing[at_provider]:
                # a new provider has no pk yet, so this is a change
                changed["provider_id"] = [existing[at_provider], record.provider_id]
            if not changed:
                plan.counts[CqcOutcome.UNCHANGED] += 1
                continue
            was_deregistered = existing[at_status] == deregistered
            for name in changed:
                if name != "provider_id":
                    row[column[name]] = values[name]
        else:
            row[at_locality] = values["locality_id"]
            was_deregistered = False
        location = Location(*row)
        if location.locality_id:
            location.locality = resolver.localities[location.locality_id]  # no query in clean()
        # Only what the file sets is checked: the rest is a default or was checked when
        # saved. Foreign keys were resolved above and the database enforces uniqueness and
        # the check constraints; checking them again here would cost queries a row.
        candidates.append((record, location, changed, was_deregistered))
        to_check.append((location, {"cqc_location_id", *values} if is_new else set(changed)))

    for (record, location, changed, was_deregistered), messages in zip(
            candidates, location_checks.message_dicts(to_check), strict=True):
        if messages:
            errors += [RowError(record.row, record.label_for(name), " ".join(problems))
                       for name, problems in messages.items()]
            continue
        if location.pk is None:
            plan.new_locations.append((location, record.provider_id))
        else:
            plan.changed_locations.append((location, record.provider_id, list(changed)))
            plan.log.append(["location~", record.location_id, changed])
        if location.registration_status == deregistered and not was_deregistered:
            plan.counts[CqcOutcome.DEREGISTERED] += 1
    progress.finish()
    plan.count()
    return plan


@transaction.atomic
def _apply_cqc_plan(plan: _CqcPlan, *, user, reason: str) -> None:
    bulk.insert(Provider, list(plan.new_providers.values()), user=user, reason=reason)
    bulk.update(Provider, plan.changed_providers, PROVIDER_FIELDS, user=user, reason=reason)
    for location, provider_cqc_id, *_ in plan.new_locations + plan.changed_locations:
        location.provider_id = plan.providers[provider_cqc_id].pk
    bulk.insert(Location, [loc for loc, _ in plan.new_locations], user=user, reason=reason)
    bulk.update(Location, [loc for loc, *_ in plan.changed_locations], CQC_LOCATION_FIELDS,
                user=user, reason=reason)
