"""Register pages: thin views that call selectors to read and services to write."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.location_sections import location_sections
from caresight.core.query import page_date
from caresight.core.tables import download_links, download_response
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import handle_form, history_page

from . import selectors, services, tables
from .forms import LocationForm, ProviderForm
from .models import Location

PAGE_SIZE = 50


def location_list(request):
    tenancy.require(request.user, Capability.VIEW_RECORDS)
    fmt = request.GET.get("download")
    if fmt:
        return _download(request, fmt)
    params = request.GET.copy()
    params.setdefault("status", "registered")
    params.setdefault("sort", "name")
    filterset = selectors.LocationFilter(
        params, queryset=selectors.location_list(user=request.user), request=request
    )
    locations = filterset.qs if filterset.is_valid() else Location.objects.none()
    page = selectors.LocationPaginator(locations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    table = tables.location_page_table(page.object_list, caption=(
        f"Services matching the filters, page {page.number} of {page.paginator.num_pages}"))
    return render(request, "registry/location_list.html", {
        "filter_form": filterset.form, "page": page, "query": query.urlencode(),
        "table": table,
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "can_add": tenancy.has_capability(request.user, Capability.EDIT_REGISTER),
        "download_links": download_links(request),
    })


def _download(request, fmt: str) -> HttpResponse:
    tenancy.require(request.user, Capability.EXPORT)
    queryset = selectors.location_list(
        user=request.user, params=request.GET, request=request, capability=Capability.EXPORT
    )
    return download_response(
        request, tables.location_table(queryset.iterator(chunk_size=2000)), fmt,
        file_stem=f"locations-{timezone.localdate().isoformat()}")


def location_detail(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.VIEW_RECORDS)
    return render(request, "registry/location_detail.html", {
        "location": location,
        "can_edit": tenancy.allows(request.user, Capability.EDIT_REGISTER, location),
        "can_see_outbreaks": tenancy.allows(request.user, Capability.VIEW_OUTBREAKS, location),
        # What later apps add ("Commissioned beds"), each deciding who sees it
        "sections": location_sections(request, location),
    })


def _location_form(request, instance=None):
    authorities = selectors.editable_authorities(user=request.user)
    return LocationForm(
        request.POST or None, instance=instance, authorities=authorities,
        localities=selectors.locality_list(user=request.user).filter(authority__in=authorities),
        providers=selectors.provider_list(user=request.user),
    )


def location_create(request):
    tenancy.require(request.user, Capability.EDIT_REGISTER)
    form = _location_form(request)
    done = handle_form(
        request, form, lambda data: services.location_create(user=request.user, **data),
        success_message=lambda location: f"{location.name} was added to the register.",
        redirect_to=location_url, already_sent="That form was already sent; it was saved once.")
    if done:
        return done
    return render(request, "registry/location_form.html", {"form": form, "location": None})


def location_edit(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.EDIT_REGISTER)
    form = _location_form(request, instance=location)
    done = handle_form(
        request, form, lambda data: services.location_update(
            location=location, user=request.user, **data),
        success_message=lambda updated: f"Your changes to {updated.name} were saved.",
        redirect_to=location_url(location))
    if done:
        return done
    return render(request, "registry/location_form.html", {"form": form, "location": location})


def location_history(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.VIEW_RECORDS)
    return history_page(request, location, back_url=location_url(location))


def location_url(location: Location) -> str:
    return f"/register/locations/{location.pk}/"


def provider_detail(request, pk: int):
    provider = tenancy.access_provider(request.user, pk, Capability.VIEW_RECORDS)
    return render(request, "registry/provider_detail.html", {
        "provider": provider,
        "table": tables.provider_locations_table(
            selectors.provider_locations(user=request.user, provider=provider)),
        "can_edit": tenancy.allows(request.user, Capability.EDIT_REGISTER, provider),
    })


def provider_create(request):
    tenancy.require(request.user, Capability.EDIT_REGISTER)
    form = ProviderForm(request.POST or None)
    home = selectors.editable_authorities(user=request.user).first()
    done = handle_form(
        request, form, lambda data: services.provider_create(
            user=request.user, home_authority=home, **data),
        success_message=lambda provider: f"{provider.name} was added.",
        redirect_to=lambda provider: f"/register/providers/{provider.pk}/")
    if done:
        return done
    return render(request, "registry/provider_form.html", {"form": form, "provider": None})


def provider_edit(request, pk: int):
    provider = tenancy.access_provider(request.user, pk, Capability.VIEW_RECORDS)
    tenancy.require(request.user, Capability.EDIT_REGISTER, provider)
    form = ProviderForm(request.POST or None, instance=provider)
    done = handle_form(
        request, form, lambda data: services.provider_update(
            provider=provider, user=request.user, **data),
        success_message=lambda updated: f"Your changes to {updated.name} were saved.",
        redirect_to=f"/register/providers/{provider.pk}/")
    if done:
        return done
    return render(request, "registry/provider_form.html", {"form": form, "provider": provider})


def provider_history(request, pk: int):
    provider = tenancy.access_provider(request.user, pk, Capability.VIEW_RECORDS)
    return history_page(request, provider, back_url=f"/register/providers/{provider.pk}/")


def locality_list(request):
    tenancy.require(request.user, Capability.VIEW_RECORDS)
    return render(request, "registry/locality_list.html",
                  {"table": tables.locality_table(selectors.locality_list(user=request.user))})


def locality_history(request, pk: int):
    locality = tenancy.access_locality(request.user, pk, Capability.VIEW_RECORDS)
    return history_page(request, locality, back_url=reverse("registry:locality-list"))


def summary(request):
    tenancy.require(request.user, Capability.VIEW_AGGREGATES)
    as_of = page_date(request, "as_of", timezone.localdate())
    table = tables.summary_table(selectors.register_summary(user=request.user, as_of=as_of),
                                 as_of_text=long_date(as_of))
    totals = table.totals()
    return render(request, "registry/summary.html", {
        "table": table, "as_of": as_of,
        "total_services": totals["services"], "total_beds": totals["beds"],
    })


