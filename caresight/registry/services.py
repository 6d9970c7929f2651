"""Writes to the care provider register. Every write is validated, atomic and audited."""

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import bulk_create_audited, bulk_update_audited, save_audited
from caresight.core.files import ImportFileError, RowError, read_table
from caresight.core.imports import ImportResult
from caresight.core.progress import NoProgress, Progress
from caresight.core.tenancy import Capability

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
    return save_audited(Provider(home_authority=home_authority, **fields), user=user)


@transaction.atomic
def provider_update(*, provider: Provider, user, **fields) -> Provider:
    for name, value in fields.items():
        setattr(provider, name, value)
    return save_audited(provider, user=user)


@transaction.atomic
def location_create(*, user, **fields) -> Location:
    """Add a service to the register; its locality follows from its postcode or district."""
    location = Location(**fields)
    if not location.locality_id and location.authority_id:
        location.locality_id = LocalityResolver([location.authority_id]).locality_id(
            location.authority_id, location.postcode, location.district_code
        )
    return save_audited(location, user=user)


@transaction.atomic
def location_update(*, location: Location, user, **fields) -> Location:
    """Change a service's details (validated by Location.clean, among others)."""
    for name, value in fields.items():
        setattr(location, name, value)
    return save_audited(location, user=user)


# --- CQC import ---------------------------------------------------------------------------


def cqc_import(
    *, data: bytes, file_name: str, user, dry_run: bool, progress: Progress | None = None
) -> ImportResult:
    """Create or update providers and locations from a CQC file, all or nothing.

    Rows are matched by CQC ID. If any row has a problem, every problem is reported and
    nothing is written. Importing the same file again finds everything unchanged. Rows for
    services outside the importing user's authorities are counted and left alone, so a council
    can import the national file and take only its own services.
    """
    progress = progress or NoProgress()
    result = ImportResult(dry_run=dry_run)
    try:
        table = read_table(data, file_name)
        result.rows = len(table.rows)
        records, errors = cqc.parse(table)
    except ImportFileError as exc:
        result.file_error = str(exc)
        return result
    # People import into their own authorities; the command line (no user) may import anywhere.
    allowed = None if user is None else tenancy.authority_ids(user, Capability.IMPORT)
    plan = _plan_cqc_changes(records, errors, progress, allowed_authority_ids=allowed)
    result.errors = sorted(errors, key=lambda e: e.row)
    result.counts = plan.counts()
    if result.errors or dry_run:
        return result
    progress.start(1, "Saving changes")
    _apply_cqc_plan(plan, user=user, reason=f"CQC import: {file_name}"[:100])
    progress.finish()
    return result


class _CqcPlan:
    def __init__(self):
        self.providers: dict[str | None, Provider] = {}  # every provider named in the file
        self.new_providers: dict[str, Provider] = {}
        self.changed_providers: list[Provider] = []
        self.new_locations: list[tuple[Location, str]] = []  # with the provider's CQC ID
        self.changed_locations: list[tuple[Location, str, list[str]]] = []
        self.unchanged = 0
        self.deregistered = 0
        self.outside = 0

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.new_locations),
            "updated": len(self.changed_locations),
            "unchanged": self.unchanged,
            "deregistered": self.deregistered,
            "providers created": len(self.new_providers),
            "providers updated": len(self.changed_providers),
            "outside your authorities (left alone)": self.outside,
        }


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _plan_cqc_changes(
    records: list[cqc.CqcRecord], errors: list[RowError], progress: Progress,
    allowed_authority_ids: frozenset[int] | None,
) -> _CqcPlan:
    plan = _CqcPlan()
    matcher = AuthorityMatcher(timezone.localdate())
    existing_locations: dict[str | None, Location] = {}
    for chunk in _chunks([r.location_id for r in records]):
        existing_locations.update(
            (loc.cqc_location_id, loc) for loc in Location.objects.filter(cqc_location_id__in=chunk)
        )
    providers: dict[str | None, Provider] = {}
    for chunk in _chunks(sorted({r.provider_id for r in records})):
        providers.update((p.cqc_provider_id, p) for p in Provider.objects.filter(
            cqc_provider_id__in=chunk))
    resolver = LocalityResolver()
    plan.providers = providers
    # A provider with services elsewhere is shared with other councils: a scoped import
    # may add services to it but not rename it.
    shared = set() if allowed_authority_ids is None else set(
        Location.objects.filter(provider_id__in=[p.pk for p in providers.values()])
        .exclude(authority_id__in=allowed_authority_ids).values_list("provider_id", flat=True)
    ) | {p.pk for p in providers.values()
         if p.home_authority_id and p.home_authority_id not in allowed_authority_ids}

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
        if allowed_authority_ids is not None and (
            authority.pk not in allowed_authority_ids
            or (existing is not None and existing.authority_id not in allowed_authority_ids)
        ):
            plan.outside += 1
            continue
        provider = providers.get(record.provider_id)
        if provider is None:
            provider = Provider(
                cqc_provider_id=record.provider_id,
                name=record.provider_name or f"CQC provider {record.provider_id}",
            )
            providers[record.provider_id] = plan.new_providers[record.provider_id] = provider
        elif (record.provider_name and provider.name != record.provider_name and provider.pk
              and provider.pk not in shared):
            provider.name = record.provider_name
            if provider not in plan.changed_providers:
                plan.changed_providers.append(provider)

        location = existing
        values = dict(record.values, authority_id=authority.pk)
        if location is None:
            # A file without service types adds services as "other" until someone says.
            location = Location(cqc_location_id=record.location_id,
                                **{"service_type": ServiceType.OTHER, **values})
        values["locality_id"] = resolver.locality_id(
            authority.pk, values.get("postcode", location.postcode), location.district_code
        ) or (location.locality_id if location.authority_id == authority.pk else None)
        was_deregistered = location.registration_status == RegistrationStatus.DEREGISTERED
        changed = [
            name for name, value in values.items()
            if location.pk and getattr(location, name) != value
        ]
        if location.pk and provider.pk != location.provider_id:
            changed.append("provider_id")  # a new provider has no pk yet, so this is a change
        for name, value in values.items():
            setattr(location, name, value)
        if location.locality_id:
            location.locality = resolver.localities[location.locality_id]  # no query in clean()
        if location.pk is None or changed:
            try:
                # Foreign keys were resolved above and the database enforces uniqueness and
                # the check constraints; checking them again here would cost queries a row.
                location.full_clean(exclude=["provider", "authority", "locality"],
                                    validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                errors += [
                    RowError(record.row, record.label_for(name), " ".join(messages))
                    for name, messages in exc.message_dict.items()
                ]
                continue
        if location.pk is None:
            plan.new_locations.append((location, record.provider_id))
        elif changed:
            plan.changed_locations.append((location, record.provider_id, changed))
        else:
            plan.unchanged += 1
        if location.registration_status == RegistrationStatus.DEREGISTERED and (
            location.pk is None or not was_deregistered
        ):
            plan.deregistered += 1
    progress.finish()
    return plan


@transaction.atomic
def _apply_cqc_plan(plan: _CqcPlan, *, user, reason: str) -> None:
    bulk_create_audited(list(plan.new_providers.values()), Provider, user=user, reason=reason)
    bulk_update_audited(plan.changed_providers, Provider, ["name"], user=user, reason=reason)
    for location, provider_cqc_id, *_ in plan.new_locations + plan.changed_locations:
        location.provider_id = plan.providers[provider_cqc_id].pk
    bulk_create_audited([loc for loc, _ in plan.new_locations], Location, user=user, reason=reason)
    bulk_update_audited(
        [loc for loc, *_ in plan.changed_locations], Location, CQC_LOCATION_FIELDS,
        user=user, reason=reason,
    )
