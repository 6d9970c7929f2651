"""Reads from the care provider register, always through the user's tenancy scope."""

import datetime as dt

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet, Sum

from caresight.core import tenancy
from caresight.core.forms import GovukForm
from caresight.core.query import IdFilter
from caresight.core.tenancy import Capability

from .models import (
    Authority,
    ClientGroup,
    CqcRating,
    Locality,
    Location,
    Provider,
    RegistrationStatus,
    ServiceType,
)

SORTS = {
    "name": ("name", "Name (A to Z)"),
    "-name": ("-name", "Name (Z to A)"),
    "authority": ("authority__name", "Authority"),
    "locality": ("locality__name", "Locality"),
    "type": ("service_type", "Service type"),
    # Services without beds sort last either way, on SQLite and PostgreSQL alike.
    "-beds": (F("registered_beds").desc(nulls_last=True), "Most beds first"),
    "beds": (F("registered_beds").asc(nulls_last=True), "Fewest beds first"),
    "-registered": (F("registration_date").desc(nulls_last=True), "Newest registration first"),
}


def _authority_choices(user):
    scope = tenancy.scope(user, Capability.VIEW_RECORDS)
    return Authority.objects.filter(
        pk__in=scope.authority_ids | {a for _, a in scope.provider_grants}
    )


class LocationFilter(django_filters.FilterSet):
    """The register's filters, shared by the list page, its downloads and the API."""

    q = django_filters.CharFilter(method="search", label="Search")
    authority = django_filters.ModelChoiceFilter(
        field_name="authority", to_field_name="ons_code",
        queryset=lambda request: _authority_choices(request.user),
        label="Authority", empty_label="Any",
    )
    locality = django_filters.ModelChoiceFilter(
        queryset=lambda request: Locality.objects.filter(
            authority_id__in=tenancy.authority_ids(request.user, Capability.VIEW_RECORDS)
        ).select_related("authority"),
        label="Locality", empty_label="Any",
    )
    service_type = django_filters.MultipleChoiceFilter(
        choices=ServiceType.choices, label="Service type", widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one value per row: DISTINCT would only slow the query
    )
    client_group = django_filters.ChoiceFilter(
        choices=ClientGroup.choices, method="filter_client_group", label="Client group",
        empty_label="Any",
    )
    status = django_filters.ChoiceFilter(
        field_name="registration_status", choices=RegistrationStatus.choices, label="Status",
        empty_label="Any",
    )
    rating = django_filters.ChoiceFilter(
        field_name="cqc_rating", choices=CqcRating.choices, label="CQC rating",
        empty_label="Any",
    )
    # Not shown in the sidebar: the provider page links to the register filtered by it.
    provider = IdFilter(field_name="provider_id", label="Provider", widget=forms.HiddenInput)
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (_, label) in SORTS.items()], method="apply_sort",
        label="Sort by", empty_label=None,
    )

    class Meta:
        model = Location
        fields: list[str] = []
        form = GovukForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Matching providers by subquery, not a join, keeps PostgreSQL from joining every
        # provider to every location before it filters.
        providers = Provider.objects.filter(name__icontains=value).values("pk")
        return queryset.filter(
            Q(name__icontains=value) | Q(postcode__istartswith=value)
            | Q(cqc_location_id=value) | Q(provider_id__in=providers)
            | Q(town__icontains=value)
        )

    def filter_client_group(self, queryset, name, value):
        # Client groups are a JSON list of codes; the quoted code matches whole entries only.
        return queryset.filter(client_groups__icontains=f'"{value}"') if value else queryset

    def apply_sort(self, queryset, name, value):
        return queryset.order_by(SORTS.get(value, SORTS["name"])[0], "pk")


def location_list(*, user, params=None, request=None, as_of: dt.date | None = None,
                  capability: Capability = Capability.VIEW_RECORDS) -> QuerySet[Location]:
    """Locations the user may see, filtered by `params` (the list page's query string)."""
    queryset = tenancy.in_scope(
        user, capability,
        Location.objects.select_related("provider", "authority", "locality").order_by("name", "pk"),
    )
    if as_of is not None:
        queryset = queryset.filter(registered_on_q(as_of))
    if params is None:
        return queryset
    filterset = LocationFilter(params, queryset=queryset, request=request)
    return filterset.qs if filterset.is_valid() else queryset.none()


class LocationPaginator(Paginator):
    """Pages of locations that sort and skip only the matching locations' keys, then load the
    page's own rows (with their provider, authority and locality) by primary key.

    Sorting the joined rows of every match to show fifty took most of a late page's time
    (page 200 of the national register: 113 ms of SQL, against 10 ms this way).
    """

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        pks = list(self.object_list.values_list("pk", flat=True)[bottom:top])  # type: ignore[attr-defined]
        found = Location.objects.select_related("provider", "authority", "locality").in_bulk(pks)
        return self._get_page(  # type: ignore[attr-defined]
            [found[pk] for pk in pks if pk in found], number, self)


def registered_on_q(as_of: dt.date, prefix: str = "") -> Q:
    """Registered on `as_of`: registered by then and not yet deregistered."""
    return (
        (Q(**{f"{prefix}registration_date__lte": as_of})
         | Q(**{f"{prefix}registration_date__isnull": True}))
        & (Q(**{f"{prefix}deregistration_date__gt": as_of})
           | Q(**{f"{prefix}deregistration_date__isnull": True}))
    )


def provider_list(*, user) -> QuerySet[Provider]:
    return tenancy.in_scope(user, Capability.VIEW_RECORDS, Provider.objects.all())


def provider_locations(*, user, provider: Provider) -> QuerySet[Location]:
    return location_list(user=user).filter(provider=provider)


def locality_list(*, user) -> QuerySet[Locality]:
    ids = tenancy.authority_ids(user, Capability.VIEW_RECORDS)
    return (
        Locality.objects.filter(authority_id__in=ids)
        .select_related("authority")
        .prefetch_related("areas")
        .annotate(services=Count("locations"))
    )


def locality_choices_for(*, user, authority: Authority | None = None) -> QuerySet[Locality]:
    queryset = locality_list(user=user)
    return queryset.filter(authority=authority) if authority else queryset


def authority_list() -> QuerySet[Authority]:
    """Every authority: public reference data."""
    return Authority.objects.select_related("region")


def editable_authorities(*, user) -> QuerySet[Authority]:
    return Authority.objects.filter(pk__in=tenancy.authority_ids(user, Capability.EDIT_REGISTER))


def register_summary(*, user, as_of: dt.date) -> list[dict]:
    """Services and registered beds per authority and service type, on `as_of`.

    Aggregates only: open to regional and national viewers across their authorities.
    """
    ids = tenancy.authority_ids(user, Capability.VIEW_AGGREGATES)
    rows = (
        Location.objects.filter(authority_id__in=ids)
        .filter(registered_on_q(as_of))
        .values("authority__ons_code", "authority__name", "service_type")
        .annotate(services=Count("pk"), beds=Sum("registered_beds"))
        .order_by("authority__name", "service_type")
    )
    labels = dict(ServiceType.choices)
    return [
        {
            "authority_code": row["authority__ons_code"],
            "authority": row["authority__name"],
            "service_type": labels.get(row["service_type"], row["service_type"]),
            "services": row["services"],
            "beds": row["beds"] or 0,
        }
        for row in rows
    ]


def location_export(*, authority_codes: list[str]) -> QuerySet[Location]:
    """Every location (in these authorities, if any) for `caresight export locations`."""
    queryset = Location.objects.select_related("provider", "authority", "locality")
    if authority_codes:
        queryset = queryset.filter(authority__ons_code__in=authority_codes)
    return queryset.order_by("name", "pk")


# --- Areas: an authority, a region, or all of a user's authorities ------------------------


def area_authority_ids(code: str) -> list[int]:
    """The authorities of an area: one authority (its ONS code) or a region (E12…)."""
    code = code.upper()
    return list(Authority.objects.filter(Q(ons_code=code) | Q(region__ons_code=code))
                .values_list("pk", flat=True))


def area_authorities(code: str) -> list[Authority]:
    """The authorities an area's code stands for: one authority (its ONS code), the current
    authorities of a region (E12…) or of all England ("ENGLAND"); none if the code is unknown."""
    code = code.strip().upper()
    if code == "ENGLAND":
        return list(Authority.objects.filter(valid_to__isnull=True))
    if code.startswith("E12"):
        return list(Authority.objects.filter(region__ons_code=code, valid_to__isnull=True))
    return list(Authority.objects.filter(ons_code=code))


def area_choices(*, user, capability: Capability = Capability.VIEW_AGGREGATES) -> list:
    """(code, name) of the regions and authorities a user's summaries can be narrowed to."""
    authorities = list(summary_authorities(user=user, capability=capability))
    regions = sorted({(a.region.ons_code, a.region.name) for a in authorities},
                     key=lambda r: r[1])
    choices = []
    if len(regions) > 1:
        choices.append(("Regions", regions))
    if len(authorities) > 1:
        choices.append(("Authorities", [(a.ons_code, a.name) for a in authorities]))
    return choices


def summary_authorities(*, user, capability: Capability = Capability.VIEW_AGGREGATES
                        ) -> QuerySet[Authority]:
    """Authorities whose summaries the user may see."""
    queryset = Authority.objects.select_related("region").order_by("name")
    return tenancy.in_scope(user, capability, queryset)
