"""Register pages: thin views that call selectors to read and services to write."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import history_entries
from caresight.core.exports import FORMATS, download_response
from caresight.core.forms import add_service_errors
from caresight.core.services import (
    submission_token_claim,
    submission_token_record,
)
from caresight.core.tenancy import Capability
from caresight.core.timeutils import parse_as_of

from . import selectors, services
from .forms import LocationForm, ProviderForm
from .models import Location, Provider

PAGE_SIZE = 50


def _check(request, permission: str, obj=None) -> None:
    if not request.user.has_perm(permission, obj):
        raise PermissionDenied


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
    page = Paginator(locations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(request, "registry/location_list.html", {
        "filter_form": filterset.form, "page": page, "query": query.urlencode(),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "can_add": tenancy.has_capability(request.user, Capability.EDIT_REGISTER),
        "formats": FORMATS,
    })


def _download(request, fmt: str) -> HttpResponse:
    tenancy.require(request.user, Capability.EXPORT)
    queryset = selectors.location_list(
        user=request.user, params=request.GET, request=request, capability=Capability.EXPORT
    )
    return download_response(
        selectors.location_export_rows(queryset), selectors.EXPORT_COLUMNS, fmt,
        title="Locations", file_stem=f"locations-{timezone.localdate().isoformat()}")


def location_detail(request, pk: int):
    location = selectors.location_get(user=request.user, pk=pk)
    return render(request, "registry/location_detail.html", {
        "location": location,
        "can_edit": request.user.has_perm("registry.change_location", location),
        "can_see_outbreaks": tenancy.allows(request.user, Capability.VIEW_OUTBREAKS, location),
    })


def _location_form(request, instance=None):
    authorities = selectors.editable_authorities(user=request.user)
    return LocationForm(
        request.POST or None, instance=instance, authorities=authorities,
        localities=selectors.locality_list(user=request.user).filter(authority__in=authorities),
        providers=selectors.provider_list(user=request.user)
        | Provider.objects.filter(pk=getattr(instance, "provider_id", None)),
    )


def location_create(request):
    tenancy.require(request.user, Capability.EDIT_REGISTER)
    form = _location_form(request)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            first = submission_token_claim(
                token=form.cleaned_data["submission_token"], user=request.user)
            if first:
                messages.info(request, "That form was already sent; it was saved once.")
                return redirect(first)
            data = {k: v for k, v in form.cleaned_data.items() if k != "submission_token"}
            try:
                location = services.location_create(user=request.user, **data)
            except ValidationError as exc:
                transaction.set_rollback(True)
                add_service_errors(form, exc)
            else:
                submission_token_record(token=form.cleaned_data["submission_token"],
                                        url=location_url(location))
                messages.success(request, f"{location.name} was added to the register.")
                return redirect(location_url(location))
    return render(request, "registry/location_form.html", {"form": form, "location": None})


def location_edit(request, pk: int):
    location = selectors.location_get(user=request.user, pk=pk)
    _check(request, "registry.change_location", location)
    form = _location_form(request, instance=location)
    if request.method == "POST" and form.is_valid():
        try:
            services.location_update(location=location, user=request.user,
                                     **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Your changes to {location.name} were saved.")
            return redirect(location_url(location))
    return render(request, "registry/location_form.html", {"form": form, "location": location})


def location_history(request, pk: int):
    location = selectors.location_get(user=request.user, pk=pk)
    return render(request, "core/history.html", {
        "record": location, "entries": history_entries(location),
        "back_url": location_url(location),
    })


def location_url(location: Location) -> str:
    return f"/register/locations/{location.pk}/"


def provider_detail(request, pk: int):
    provider = selectors.provider_get(user=request.user, pk=pk)
    return render(request, "registry/provider_detail.html", {
        "provider": provider,
        "locations": selectors.provider_locations(user=request.user, provider=provider),
        "can_edit": request.user.has_perm("registry.change_provider", provider),
    })


def provider_create(request):
    tenancy.require(request.user, Capability.EDIT_REGISTER)
    form = ProviderForm(request.POST or None)
    home = selectors.editable_authorities(user=request.user).first()
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            first = submission_token_claim(
                token=form.cleaned_data["submission_token"], user=request.user)
            if first:
                return redirect(first)
            data = {k: v for k, v in form.cleaned_data.items() if k != "submission_token"}
            provider = services.provider_create(user=request.user, home_authority=home, **data)
            url = f"/register/providers/{provider.pk}/"
            submission_token_record(token=form.cleaned_data["submission_token"], url=url)
        messages.success(request, f"{provider.name} was added.")
        return redirect(url)
    return render(request, "registry/provider_form.html", {"form": form, "provider": None})


def provider_edit(request, pk: int):
    provider = selectors.provider_get(user=request.user, pk=pk)
    _check(request, "registry.change_provider", provider)
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        services.provider_update(provider=provider, user=request.user, **form.cleaned_data)
        messages.success(request, f"Your changes to {provider.name} were saved.")
        return redirect(f"/register/providers/{provider.pk}/")
    return render(request, "registry/provider_form.html", {"form": form, "provider": provider})


def provider_history(request, pk: int):
    provider = selectors.provider_get(user=request.user, pk=pk)
    return render(request, "core/history.html", {
        "record": provider, "entries": history_entries(provider),
        "back_url": f"/register/providers/{provider.pk}/",
    })


def locality_list(request):
    tenancy.require(request.user, Capability.VIEW_RECORDS)
    return render(request, "registry/locality_list.html",
                  {"localities": selectors.locality_list(user=request.user)})


def locality_history(request, pk: int):
    locality = get_object_or_404(selectors.locality_list(user=request.user), pk=pk)
    return render(request, "core/history.html", {
        "record": locality, "entries": history_entries(locality),
        "back_url": reverse("registry:locality-list"),
    })


def summary(request):
    tenancy.require(request.user, Capability.VIEW_AGGREGATES)
    as_of = parse_as_of(request.GET.get("as_of"))
    rows = selectors.register_summary(user=request.user, as_of=as_of)
    return render(request, "registry/summary.html", {
        "rows": rows, "as_of": as_of,
        "total_services": sum(r["services"] for r in rows),
        "total_beds": sum(r["beds"] for r in rows),
    })


