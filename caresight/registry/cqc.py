"""Turn CQC files into register records: the CQC public API's location objects and provider
objects (JSON array or JSON lines), and the CQC care directory (CSV, XLSX or ODS) — its
location rows, or its provider columns alone. Reading only; `services` writes.

Which of these a file is follows from its keys or columns (`layout`). The care directory's
columns are matched by `DIRECTORY_COLUMNS` and `PROVIDER_COLUMNS` (case and punctuation are
ignored); docs/data-formats.md lists them.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import CharField

from caresight.core.files import (
    ImportFileError,
    RowError,
    Table,
    file_date,
    match_columns,
    normalise_header,
)
from caresight.core.imports import ImportRow
from caresight.core.phones import phone_display

from .models import (
    CQC_ID_PATTERN,
    ClientGroup,
    CqcRating,
    Location,
    Provider,
    RegistrationStatus,
    ServiceType,
)

# Care directory columns: our field -> the headings CQC has used for it.
DIRECTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "location_id": ("CQC Location ID (for office use only)", "Location ID", "CQC Location ID"),
    "provider_id": ("CQC Provider ID (for office use only)", "Provider ID", "CQC Provider ID"),
    "name": ("Name", "Location Name"),
    "provider_name": ("Provider name",),
    "provider_phone": ("Provider Telephone Number", "Provider phone number"),
    "provider_website": ("Provider Web Address", "Provider website"),
    "address_line_1": ("Address", "Location Street Address", "Address line 1"),
    "address_line_2": ("Location Address Line 2", "Address line 2"),
    "town": ("Location City", "Town", "Town/City"),
    "postcode": ("Postcode", "Location Postal Code"),
    "phone": ("Phone number", "Location Telephone Number"),
    "website": ("Service's website (if available)", "Location Web Address"),
    "service_types": ("Service types", "Service type", "Location Type/Sector"),
    "specialisms": ("Specialisms/services", "Specialisms", "Service user bands"),
    "authority": ("Local authority", "Location Local Authority"),
    "beds": ("Care homes beds", "Care home beds", "Number of beds", "Beds"),
    "care_home": ("Care home?", "Care home"),
    "registration_status": ("Registration status",),
    "registration_date": ("Location HSCA start date", "Registration date"),
    "deregistration_date": ("Deregistration date",),
    "rating": ("Location Latest Overall Rating", "Latest overall rating", "Overall rating"),
    "rating_date": ("Publication Date", "Date of latest check", "Rating date"),
    "manager_name": ("Registered manager",),
    "ods_code": ("Location ODS Code", "ODS code"),
}
REQUIRED_DIRECTORY_COLUMNS = ("location_id", "provider_id", "name", "authority")
# A file of providers alone: the care directory's provider columns.
PROVIDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "provider_id": DIRECTORY_COLUMNS["provider_id"],
    "provider_name": ("Provider name", "Name"),
    "provider_phone": (*DIRECTORY_COLUMNS["provider_phone"], "Phone number"),
    "provider_website": (*DIRECTORY_COLUMNS["provider_website"], "Website"),
    "authority": ("Provider Local Authority", "Local authority"),
}
REQUIRED_PROVIDER_COLUMNS = ("provider_id", "provider_name")

# Service types, most specific first: a location is given the first that applies.
SERVICE_TYPE_WORDS: list[tuple[str, ServiceType]] = [
    ("withnursing", ServiceType.CARE_HOME_NURSING),
    ("nursinghome", ServiceType.CARE_HOME_NURSING),
    ("withoutnursing", ServiceType.CARE_HOME),
    ("residentialhome", ServiceType.CARE_HOME),
    ("extracare", ServiceType.EXTRA_CARE),
    ("supportedliving", ServiceType.SUPPORTED_LIVING),
    ("domiciliary", ServiceType.DOMICILIARY),
    ("homecare", ServiceType.DOMICILIARY),
    ("dayservice", ServiceType.DAY_SERVICE),
    ("daycare", ServiceType.DAY_SERVICE),
]

# CQC specialisms (service user bands) -> client groups.
SPECIALISM_WORDS: list[tuple[str, ClientGroup]] = [
    ("over65", ClientGroup.OLDER_PEOPLE),
    ("olderpeople", ClientGroup.OLDER_PEOPLE),
    ("under65", ClientGroup.YOUNGER_ADULTS),
    ("youngeradults", ClientGroup.YOUNGER_ADULTS),
    ("dementia", ClientGroup.DEMENTIA),
    ("learningdisabilit", ClientGroup.LEARNING_DISABILITY),
    ("autism", ClientGroup.LEARNING_DISABILITY),
    ("mentalhealth", ClientGroup.MENTAL_HEALTH),
    ("physicaldisabilit", ClientGroup.PHYSICAL_DISABILITY),
    ("sensoryimpairment", ClientGroup.SENSORY_IMPAIRMENT),
    ("substancemisuse", ClientGroup.SUBSTANCE_MISUSE),
    ("drugs", ClientGroup.SUBSTANCE_MISUSE),
    ("eatingdisorder", ClientGroup.EATING_DISORDERS),
    ("children", ClientGroup.CHILDREN),
]

# Longest text each field may hold, so an over-long value is a row error, not a database error.
MAX_LENGTHS = {
    field.name: field.max_length
    for field in Location._meta.concrete_fields
    if isinstance(field, CharField) and field.max_length
} | {f"provider_{name}": getattr(Provider._meta.get_field(name), "max_length", None)
     for name in ("name", "phone", "website")}

RATINGS = {normalise_header(label): value for value, label in CqcRating.choices}
RATINGS["notyetrated"] = CqcRating.NOT_RATED
RATINGS["insufficientevidencetorate"] = CqcRating.NOT_RATED
RATINGS["inspectedbutnotrated"] = CqcRating.NOT_RATED
POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$")
CQC_ID = re.compile(CQC_ID_PATTERN)
WHITESPACE = re.compile(r"\s+")
WHOLE_NUMBER = re.compile(r"-?\d+")
LIST_SEPARATOR = re.compile(r"[|;]")
CLIENT_GROUP_ORDER = list(ClientGroup)  # the order client groups are stored in


@dataclass(kw_only=True)
class CqcRecord(ImportRow):
    """One location as read from a file, before it is matched to the database."""

    location_id: str
    provider_id: str
    provider_name: str | None
    authority_text: str
    authority_field: str
    # Only the fields the file carries; a column that is absent leaves the register's value.
    values: dict = field(default_factory=dict)
    provider_values: dict = field(default_factory=dict)  # the provider's phone and website
    labels: dict = field(default_factory=dict)  # our field name -> the file's column

    def label_for(self, model_field: str) -> str:
        """The file's name for a register field, to name it in a row error."""
        key = {"registered_beds": "beds", "cqc_rating": "rating", "cqc_rating_date": "rating_date",
               "cqc_specialisms": "specialisms", "client_groups": "specialisms",
               "service_type": "service_types"}.get(model_field, model_field)
        return self.labels.get(key, model_field)


@dataclass(kw_only=True)
class ProviderRecord(ImportRow):
    """One provider (a CQC API provider object, or a row of provider columns)."""

    name: str
    values: dict  # phone, website: only those the file carries
    authority_text: str
    labels: dict

    def describe(self) -> str:
        return f"CQC provider ID {self.cqc_id}"


@dataclass(frozen=True)
class Layout:
    """What a file holds (locations or providers) and, for sheets, which column is which."""

    kind: str  # "locations" or "providers"
    columns: dict[str, str] | None  # our field -> the file's heading; None for JSON
    labels: dict[str, str]


def layout(fmt: str, headers: list[str]) -> Layout:
    """Tell locations from providers by the keys or columns; refuse a file that is neither."""
    if fmt in ("json", "jsonl"):
        if not headers:
            raise ImportFileError("The file has no rows to import.")
        if "locationId" in headers:
            return Layout("locations", None, API_LABELS)
        if "providerId" in headers:
            return Layout("providers", None, PROVIDER_API_LABELS)
        raise ImportFileError("The JSON objects are neither CQC API locations (with locationId) "
                              "nor CQC API providers (with providerId).")
    normal = {normalise_header(h) for h in headers}
    has_location_id = any(normalise_header(a) in normal
                          for a in DIRECTORY_COLUMNS["location_id"])
    has_provider_name = any(normalise_header(a) in normal
                            for a in PROVIDER_COLUMNS["provider_name"][:1])
    if not has_location_id and has_provider_name:
        columns = match_columns(headers, PROVIDER_COLUMNS, REQUIRED_PROVIDER_COLUMNS)
        return Layout("providers", columns, {f: columns.get(f, f) for f in PROVIDER_COLUMNS})
    columns = match_columns(headers, DIRECTORY_COLUMNS, REQUIRED_DIRECTORY_COLUMNS)
    return Layout("locations", columns, {f: columns.get(f, f) for f in DIRECTORY_COLUMNS})


def parse(table: Table) -> tuple[list, list[RowError]]:
    """Read every row; return the records and every problem found, row by row."""
    found: Layout = table.layout or layout(table.format, table.headers)
    reader: Callable[[dict, list, int], dict]
    columns = found.columns
    if found.kind == "providers":
        reader = _from_provider_object if columns is None else _sheet_reader(columns)
        build: Callable = _provider_record
    else:
        reader = _from_api_object if columns is None else _sheet_reader(columns)
        build = _record
    records: list = []
    errors: list[RowError] = []
    for row, raw in table.rows:
        row_errors: list[RowError] = []
        fields = reader(raw, row_errors, row)
        record = build(row, fields, found.labels, row_errors)
        errors += row_errors
        if record and not row_errors:
            records.append(record)
    if not table.rows_read:
        raise ImportFileError("The file has no rows to import.")
    return records, errors


def _sheet_reader(columns: dict[str, str]) -> Callable[[dict, list, int], dict]:
    def reader(raw: dict, errors: list, row: int) -> dict:
        return {f: raw.get(h, "") for f, h in columns.items()}

    return reader


PROVIDER_API_LABELS = {
    "provider_id": "providerId", "provider_name": "name", "provider_phone": "mainPhoneNumber",
    "provider_website": "website", "authority": "localAuthority",
}


def _from_provider_object(obj: dict, errors: list, row: int) -> dict:
    fields = {"provider_id": obj.get("providerId"), "provider_name": obj.get("name"),
              "authority": obj.get("localAuthority") or ""}
    for key, api_key in (("provider_phone", "mainPhoneNumber"), ("provider_website", "website")):
        if api_key in obj:
            fields[key] = obj.get(api_key) or ""
    return fields


def _provider_record(row: int, f: dict, labels: dict, errors: list[RowError]
                     ) -> ProviderRecord | None:
    def fail(name: str, message: str) -> None:
        errors.append(RowError(row, labels.get(name, name), message))

    provider_id, name = _text(f.get("provider_id")), _text(f.get("provider_name"))
    if not provider_id:
        fail("provider_id", "the CQC provider ID is missing")
    elif not CQC_ID.match(provider_id):
        fail("provider_id", f"{provider_id!r} is not a CQC provider ID (1- followed by 6 to 12 "
             "digits)")
    if not name:
        fail("provider_name", "the provider name is missing")
    values = _provider_values(f)
    for key, value in [("provider_name", name), *((f"provider_{k}", v) for k, v in
                                                  values.items())]:
        limit = MAX_LENGTHS.get(key)
        if limit and len(value) > limit:
            fail(key, f"is {len(value)} characters long; the most the register holds is {limit}")
    if not (provider_id and name) or errors:
        return None
    return ProviderRecord(row=row, cqc_id=provider_id, id_field=labels["provider_id"],
                          name=name, values=values, authority_text=_text(f.get("authority")),
                          labels=labels)


def _provider_values(f: dict) -> dict:
    values = {}
    if "provider_phone" in f:
        values["phone"] = phone_display(_text(f["provider_phone"]))
    if "provider_website" in f:
        values["website"] = _text(f["provider_website"])
    return values


API_LABELS = {
    "location_id": "locationId", "provider_id": "providerId", "name": "name",
    "provider_name": "providerName", "address_line_1": "postalAddressLine1",
    "address_line_2": "postalAddressLine2", "town": "postalAddressTownCity",
    "postcode": "postalCode", "phone": "mainPhoneNumber", "website": "website",
    "service_types": "gacServiceTypes", "specialisms": "specialisms",
    "authority": "localAuthority", "beds": "numberOfBeds", "care_home": "careHome",
    "registration_status": "registrationStatus", "registration_date": "registrationDate",
    "deregistration_date": "deregistrationDate", "rating": "currentRatings.overall.rating",
    "rating_date": "currentRatings.overall.reportDate", "manager_name": "regulatedActivities",
    "ods_code": "odsCode",
}


def _objects(obj: dict, key: str, errors: list, row: int) -> list[dict]:
    """The list of objects at `key`, or [] with a row error if it is something else."""
    value = obj.get(key)
    if value in (None, "", []):
        return []
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    errors.append(RowError(row, key, "must be a list of objects, as in the CQC API"))
    return []


def _object(obj: dict, key: str, errors: list, row: int) -> dict:
    value = obj.get(key)
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    errors.append(RowError(row, key, "must be an object, as in the CQC API"))
    return {}


def _from_api_object(obj: dict, errors: list, row: int) -> dict:
    overall = _object(_object(obj, "currentRatings", errors, row), "overall", errors, row)
    managers = [
        " ".join(filter(None, [str(c.get("personGivenName") or ""),
                               str(c.get("personFamilyName") or "")]))
        for activity in _objects(obj, "regulatedActivities", errors, row)
        for c in _objects(activity, "contacts", errors, row)
        if "Registered Manager" in (c.get("personRoles") or [])
    ]
    beds = obj.get("numberOfBeds")
    return {
        "location_id": obj.get("locationId"),
        "provider_id": obj.get("providerId"),
        "provider_name": obj.get("providerName"),
        "name": obj.get("name"),
        "address_line_1": obj.get("postalAddressLine1") or "",
        "address_line_2": obj.get("postalAddressLine2") or "",
        "town": obj.get("postalAddressTownCity") or "",
        "postcode": obj.get("postalCode") or "",
        "phone": obj.get("mainPhoneNumber") or "",
        "service_types": "|".join(
            f"{t.get('name', '')} {t.get('description', '')}"
            for t in _objects(obj, "gacServiceTypes", errors, row)
        ),
        "specialisms": "|".join(
            str(s.get("name", "")) for s in _objects(obj, "specialisms", errors, row)),
        "authority": obj.get("localAuthority") or obj.get("onspdLocalAuthorityCode") or "",
        "beds": "" if beds is None else beds,
        "care_home": obj.get("careHome") or "",
        "registration_status": obj.get("registrationStatus") or "",
        "registration_date": obj.get("registrationDate") or "",
        "deregistration_date": obj.get("deregistrationDate") or "",
        "rating": overall.get("rating") or "",
        "rating_date": overall.get("reportDate") or "",
        "manager_name": managers[0] if managers else "",
        "ods_code": obj.get("odsCode") or "",
    }


# A national file repeats a few dozen service types, specialisms, statuses and ratings in
# every row: each text is worked out once.
@functools.lru_cache(maxsize=4096)
def _service_type(service_types: str, care_home_flag: str) -> ServiceType:
    words = normalise_header(service_types)
    found = next((t for word, t in SERVICE_TYPE_WORDS if word in words), None)
    if found is None:
        found = ServiceType.CARE_HOME if care_home_flag == "Y" else ServiceType.OTHER
    return found


@functools.lru_cache(maxsize=4096)
def _client_groups(specialism: str) -> tuple[ClientGroup, ...]:
    key = normalise_header(specialism)
    return tuple(g for word, g in SPECIALISM_WORDS if word in key)


@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    return normalise_header(text)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _record(row: int, f: dict, labels: dict, errors: list[RowError]) -> CqcRecord | None:
    def fail(name: str, message: str) -> None:
        errors.append(RowError(row, labels.get(name, name), message))

    location_id, provider_id = _text(f.get("location_id")), _text(f.get("provider_id"))
    for name, value, what in (
        ("location_id", location_id, "location"),
        ("provider_id", provider_id, "provider"),
    ):
        if not value:
            fail(name, f"the CQC {what} ID is missing")
        elif not CQC_ID.match(value):
            fail(name, f"{value!r} is not a CQC {what} ID (1- followed by 6 to 12 digits)")
    name = _text(f.get("name"))
    if not name:
        fail("name", "the location name is missing")
    authority_text = _text(f.get("authority"))
    if not authority_text:
        fail("authority", "the local authority is missing")

    values: dict = {"name": name}
    for key in ("address_line_1", "address_line_2", "town", "manager_name", "ods_code"):
        if key in f:
            values[key] = _text(f[key])
    if "phone" in f:
        values["phone"] = phone_display(_text(f["phone"]))
    if "postcode" in f:
        postcode = WHITESPACE.sub("", _text(f["postcode"]).upper())
        match = POSTCODE.match(postcode)
        if postcode and not match:
            fail("postcode", f"{_text(f['postcode'])!r} is not a UK postcode")
        values["postcode"] = f"{match[1]} {match[2]}" if match else ""

    service_type = None
    if "service_types" in f or "care_home" in f:
        service_type = _service_type(str(f.get("service_types") or ""),
                                     _text(f.get("care_home")).upper()[:1])
        values["service_type"] = service_type

    if "specialisms" in f:
        specialisms = [s.strip() for s in LIST_SEPARATOR.split(_text(f["specialisms"]))
                       if s.strip()]
        groups = {g for specialism in specialisms for g in _client_groups(specialism)}
        values["cqc_specialisms"] = specialisms
        values["client_groups"] = [g.value for g in CLIENT_GROUP_ORDER if g in groups]

    if "beds" in f:
        beds_text = _text(f["beds"])
        beds = None
        if beds_text and not WHOLE_NUMBER.fullmatch(beds_text):
            fail("beds", f"{beds_text!r} is not a whole number of beds")
        elif beds_text and int(beds_text) < 0:
            fail("beds", f"the number of beds cannot be negative ({beds_text})")
        elif beds_text:
            beds = int(beds_text)
        # Beds belong to care homes; a file without service types keeps the beds it gives.
        is_care_home = service_type in (None, ServiceType.CARE_HOME,
                                        ServiceType.CARE_HOME_NURSING)
        values["registered_beds"] = beds if is_care_home else None

    if "registration_status" in f:
        status = _normalised(str(f["registration_status"] or ""))
        if status.startswith("deregistered") or status == "inactive":
            values["registration_status"] = RegistrationStatus.DEREGISTERED
        elif status in ("", "registered", "active"):
            values["registration_status"] = RegistrationStatus.REGISTERED
        else:
            fail("registration_status", f"{_text(f['registration_status'])!r} is not "
                 "Registered or Deregistered")
    for key, target in (
        ("registration_date", "registration_date"),
        ("deregistration_date", "deregistration_date"),
        ("rating_date", "cqc_rating_date"),
    ):
        if key in f:
            try:
                values[target] = file_date(_text(f[key]))
            except ValueError as exc:
                fail(key, str(exc))
                values[target] = None
    if values.get("deregistration_date") and values.get("registration_status") is None:
        values["registration_status"] = RegistrationStatus.DEREGISTERED
    reg, dereg = values.get("registration_date"), values.get("deregistration_date")
    if reg and dereg and dereg < reg:
        fail("deregistration_date", "the deregistration date is before the registration date")
    if "rating" in f:
        rating_text = _normalised(str(f["rating"] or ""))
        if rating_text and rating_text not in RATINGS:
            fail("rating", f"{_text(f['rating'])!r} is not a CQC rating")
        values["cqc_rating"] = RATINGS.get(rating_text, "")

    provider_name = _text(f.get("provider_name"))
    provider_values = _provider_values(f)
    for key, value in [*values.items(), ("provider_name", provider_name),
                       *((f"provider_{k}", v) for k, v in provider_values.items())]:
        limit = MAX_LENGTHS.get(key)
        if limit and isinstance(value, str) and len(value) > limit:
            fail(key, f"is {len(value)} characters long; the most the register holds is {limit}")
    if not (location_id and provider_id and name and authority_text):
        return None
    return CqcRecord(
        row=row,
        cqc_id=location_id,
        id_field=labels.get("location_id", "location_id"),
        location_id=location_id,
        provider_id=provider_id,
        provider_name=provider_name or None,
        authority_text=authority_text,
        authority_field=labels.get("authority", "authority"),
        values=values,
        provider_values=provider_values,
        labels=labels,
    )

