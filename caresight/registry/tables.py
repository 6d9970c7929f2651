"""The register's tables, declared once for its pages, downloads and `caresight export`."""

from django.urls import reverse

from caresight.core.tables import Column, Kind, Table

from .models import ClientGroup, CqcRating, RegistrationStatus, ServiceType


def _location_url(location) -> str:
    return reverse("registry:location-detail", args=[location.pk])


# Every download of the register (the page's filters, or `caresight export locations`).
LOCATION_COLUMNS = [
    Column("cqc_location_id", "CQC location ID"),
    Column("name", "Service"),
    Column("provider_cqc_id", "CQC provider ID", value="provider.cqc_provider_id"),
    Column("provider_name", "Provider", value="provider.name"),
    Column("authority_code", "Authority code", value="authority.ons_code"),
    Column("authority_name", "Authority", value="authority.name"),
    Column("locality", "Locality", value="locality_label"),
    Column("service_type", "Type of service", choices=ServiceType),
    Column("client_groups", "Client groups", choices=ClientGroup),
    Column("registered_beds", "Registered beds", kind=Kind.WHOLE),
    Column("registration_status", "Registration status", choices=RegistrationStatus),
    Column("registration_date", "Registered on", kind=Kind.DATE),
    Column("deregistration_date", "Deregistered on", kind=Kind.DATE),
    Column("cqc_rating", "CQC rating", choices=CqcRating),
    Column("address_line_1", "Address line 1"),
    Column("address_line_2", "Address line 2"),
    Column("town", "Town"),
    Column("postcode", "Postcode"),
    Column("phone", "Phone"),
    Column("email", "Email"),
    Column("manager_name", "Manager"),
    Column("small_provider", "Small provider", value="provider.is_small"),
]

# The register page: one line a service, its provider and postcode under its name.
LOCATION_PAGE_COLUMNS = [
    Column("name", "Service", link=_location_url,
           hint=lambda loc: f"{loc.provider.name} · {loc.postcode}"),
    Column("service_type", "Type", choices=ServiceType),
    Column("locality", "Locality", value="locality_label"),
    Column("registered_beds", "Beds", kind=Kind.WHOLE),
    Column("cqc_rating", "CQC rating", choices=CqcRating,
           tag=lambda loc: ("Deregistered" if loc.registration_status
                            == RegistrationStatus.DEREGISTERED else None)),
]


def location_table(locations, **options) -> Table:
    """Locations (objects with provider, authority and locality loaded) for a download."""
    return Table(columns=LOCATION_COLUMNS, rows=locations, title="Locations", **options)


def location_page_table(locations, *, caption: str) -> Table:
    return Table(columns=LOCATION_PAGE_COLUMNS, rows=locations, title="Services",
                 caption=caption, caption_size="s", caption_hidden=True,
                 empty_message="No services match these filters.")


def provider_locations_table(locations) -> Table:
    return Table(columns=[
        Column("name", "Service", link=_location_url),
        Column("service_type", "Type", choices=ServiceType),
        Column("authority", "Authority", value="authority.name"),
        Column("registered_beds", "Beds", kind=Kind.WHOLE),
    ], rows=locations, title="Services you can see", empty_message="No services yet.")


def locality_table(localities) -> Table:
    return Table(columns=[
        Column("authority", "Authority", value="authority.name"),
        Column("name", "Locality",
               link=lambda loc: f"{reverse('registry:location-list')}?locality={loc.pk}"),
        Column("areas", "Areas", value=lambda loc: [a.code for a in loc.areas.all()]),
        Column("services", "Services", kind=Kind.WHOLE),
        Column("history", "History", value=lambda loc: "History", header_hidden=True,
               link=lambda loc: reverse("registry:locality-history", args=[loc.pk]),
               hidden=lambda loc: f" of {loc.name}"),
    ], rows=localities, title="Localities and the areas in each", caption_hidden=True,
        empty_message="No localities have been set up.")


def summary_table(rows, *, as_of_text: str) -> Table:
    """Services and registered beds by authority and type, with totals."""
    return Table(columns=[
        Column("authority", "Authority"),
        Column("service_type", "Service type"),
        Column("services", "Services", kind=Kind.WHOLE, total=True),
        Column("beds", "Registered beds", kind=Kind.WHOLE, total=True),
    ], rows=rows, title="Register summary",
        caption=f"Services and beds by authority and type on {as_of_text}",
        empty_message="No services.")
