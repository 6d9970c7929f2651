"""Writes to the care provider register. Every write is validated, atomic and audited."""

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from caresight.core.audit import bulk_create_audited, bulk_update_audited, save_audited
from caresight.core.files import RowError
from caresight.core.imports import OUTSIDE, Context, Importer, ImportPages, ImportResult, Plan
from caresight.core.phones import phone_display
from caresight.core.progress import Progress

from . import cqc
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
# Field names as full_clean's `exclude` takes them. The import's values name the foreign keys
# by attname ("authority_id"), so these ("authority") are always left out: they are resolved.
LOCATION_FIELD_NAMES = [f.name for f in Location._meta.concrete_fields]


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

    def match(self, text: str) -> Authority | None:
        text = text.strip()
        return self.by_code.get(text.upper()) or self.by_name.get(normalise_authority_name(text))


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


PROVIDER_FIELDS = ["name", "phone", "website"]


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


def _plan_cqc_changes(records: list[cqc.CqcRecord], context: Context) -> _CqcPlan:
    plan = _CqcPlan()
    errors, checks, progress = context.errors, context.checks, context.progress
    allowed_authority_ids = None if context.scope.everywhere else context.scope.authority_ids
    matcher = AuthorityMatcher(timezone.localdate())
    existing_locations: dict[str | None, Location] = {}
    for chunk in _chunks([r.location_id for r in records]):
        existing_locations.update(
            (loc.cqc_location_id, loc) for loc in Location.objects.filter(cqc_location_id__in=chunk)
        )
    providers = plan.providers = _existing_providers(r.provider_id for r in records)
    resolver = LocalityResolver()
    # A provider with services elsewhere is shared with other councils: a scoped import
    # may add services to it but not change it.
    shared = _shared_providers(providers, allowed_authority_ids)

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
        existing = existing_locations.get(record.location_id)
        if not checks.inside_authority(
                authority.pk, authority.name,
                also=[existing.authority_id] if existing is not None else []):
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

        location = existing
        is_new = location is None
        values = dict(record.values, authority_id=authority.pk)
        if location is None:
            # A file without service types adds services as "other" until someone says.
            location = Location(cqc_location_id=record.location_id,
                                **{"service_type": ServiceType.OTHER, **values})
        values["locality_id"] = resolver.locality_id(
            authority.pk, values.get("postcode", location.postcode), location.district_code
        ) or (location.locality_id if location.authority_id == authority.pk else None)
        was_deregistered = location.registration_status == RegistrationStatus.DEREGISTERED
        changed = {} if is_new else {
            name: [getattr(location, name), value] for name, value in values.items()
            if getattr(location, name) != value
        }
        if not is_new and provider.pk != location.provider_id:
            # a new provider has no pk yet, so this is a change
            changed["provider_id"] = [location.provider_id, record.provider_id]
        for name, value in values.items():
            setattr(location, name, value)
        if location.locality_id:
            location.locality = resolver.localities[location.locality_id]  # no query in clean()
        if is_new or changed:
            # Only what the file sets is checked: the rest is a default or was checked when
            # saved. Foreign keys were resolved above and the database enforces uniqueness and
            # the check constraints; checking them again here would cost queries a row.
            checked = {"cqc_location_id", *values} if is_new else changed
            try:
                location.full_clean(exclude=[name for name in LOCATION_FIELD_NAMES
                                             if name not in checked],
                                    validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                errors += [
                    RowError(record.row, record.label_for(name), " ".join(messages))
                    for name, messages in exc.message_dict.items()
                ]
                continue
        if is_new:
            plan.new_locations.append((location, record.provider_id))
        elif changed:
            plan.changed_locations.append((location, record.provider_id, list(changed)))
            plan.log.append(["location~", record.location_id, changed])
        else:
            plan.counts[CqcOutcome.UNCHANGED] += 1
        if location.registration_status == RegistrationStatus.DEREGISTERED and (
            is_new or not was_deregistered
        ):
            plan.counts[CqcOutcome.DEREGISTERED] += 1
    progress.finish()
    plan.count()
    return plan


@transaction.atomic
def _apply_cqc_plan(plan: _CqcPlan, *, user, reason: str) -> None:
    bulk_create_audited(list(plan.new_providers.values()), Provider, user=user, reason=reason)
    bulk_update_audited(plan.changed_providers, Provider, PROVIDER_FIELDS, user=user,
                        reason=reason)
    for location, provider_cqc_id, *_ in plan.new_locations + plan.changed_locations:
        location.provider_id = plan.providers[provider_cqc_id].pk
    bulk_create_audited([loc for loc, _ in plan.new_locations], Location, user=user, reason=reason)
    bulk_update_audited(
        [loc for loc, *_ in plan.changed_locations], Location, CQC_LOCATION_FIELDS,
        user=user, reason=reason,
    )
