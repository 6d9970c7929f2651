"""Risk log pages: thin views over the risk selectors and services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from caresight.core import tables, tenancy
from caresight.core.query import BadQueryValue, page_date, read_date
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import call_and_tell, handle_form
from caresight.registry.selectors import area_choices

from . import rules, selectors, services
from . import tables as risk_tables
from .forms import ConcernCloseForm, ConcernForm, OverrideForm, PolicyForm
from .models import Rating

SHOWN = 500  # rows on the page; the download has them all


def _log(request):
    tenancy.require(request.user, Capability.VIEW_OUTBREAKS)
    as_of = page_date(request, "as_of", timezone.localdate())
    authority = (request.GET.get("authority") or "").strip().upper() or None
    use_saved = True if request.GET.get("saved") == "1" else None
    return as_of, authority, selectors.risk_log(user=request.user, as_of=as_of,
                                                authority=authority, use_saved=use_saved)


def risk_log(request):
    as_of, authority, log = _log(request)
    rating = request.GET.get("rating") if request.GET.get("rating") in Rating.values else ""
    chosen = [rating] if rating else None
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(
            request, risk_tables.risk_log_table(log.rows(ratings=chosen), as_of=as_of), fmt,
            file_stem=f"risk-log-{as_of.isoformat()}")
    counts = log.counts()
    total = counts[rating] if rating else sum(counts.values())
    logs = selectors.saved_logs(user=request.user, as_of=as_of)
    return render(request, "risk/log.html", {
        "table": risk_tables.risk_log_table(log.rows(ratings=chosen, limit=SHOWN), as_of=as_of),
        "more": max(total - SHOWN, 0),
        "total": total, "counts": counts, "as_of": as_of, "authority": authority or "",
        "rating": rating, "ratings": Rating.choices, "logs": logs,
        "showing_saved": log.showing_saved,
        "areas": area_choices(user=request.user, capability=Capability.VIEW_OUTBREAKS),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": tables.download_links(request),
        "can_save": tenancy.has_capability(request.user, Capability.MANAGE_OUTBREAKS)
        and as_of <= timezone.localdate(),
        # Those who may change the rules (the policies page asks the same capability).
        "can_change_rules": tenancy.has_capability(request.user, Capability.MANAGE_OUTBREAKS),
        "saveable": tenancy.authorities(request.user, Capability.MANAGE_OUTBREAKS)
        .exclude(pk__in=[log.authority_id for log in logs]),
    })


def priorities(request):
    """Whom to support or test first: every red and amber service, counted, on the page and
    in the download alike."""
    as_of, authority, log = _log(request)
    table = risk_tables.priorities_table(selectors.priorities(log), as_of=as_of)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(request, table, fmt,
                                        file_stem=f"whom-to-support-first-{as_of.isoformat()}")
    return render(request, "risk/priorities.html", {
        "table": table, "total": len(table.row_list), "as_of": as_of,
        "authority": authority or "",
        "areas": area_choices(user=request.user, capability=Capability.VIEW_OUTBREAKS),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": tables.download_links(request)})


@require_POST
def log_save(request):
    authority = tenancy.access_authority(request.user, request.POST.get("authority") or "",
                                         Capability.MANAGE_OUTBREAKS)
    try:
        as_of = read_date(request.POST, "as_of", timezone.localdate())
    except BadQueryValue as exc:
        messages.error(request, exc.message)
        return redirect("risk:log")
    call_and_tell(request, lambda: services.risk_log_save(authority=authority, as_of=as_of,
                                                          user=request.user),
                  lambda _: f"The risk log for {authority.name} on {long_date(as_of)} is saved; "
                            "it will be shown as it is now whenever that day is chosen.")
    return redirect(f"{reverse('risk:log')}?as_of={as_of.isoformat()}")


def location_risk(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.VIEW_OUTBREAKS)
    today = timezone.localdate()
    can_manage = tenancy.allows(request.user, Capability.MANAGE_OUTBREAKS, location)
    return render(request, "risk/location.html", {
        "location": location, "rating": selectors.location_rating(location=location),
        "overrides": risk_tables.overrides_table(
            location.risk_overrides.select_related("created_by")),
        "concerns": risk_tables.concerns_table(location.concerns.all(), can_manage=can_manage),
        "saved": risk_tables.saved_ratings_table(
            selectors.location_saved_ratings(location=location)[:26]),
        "today": today,
        "can_manage": can_manage,
    })


def _managed_location(request, pk: int):
    return tenancy.access_location(request.user, pk, Capability.MANAGE_OUTBREAKS)


def override_add(request, pk: int):
    location = _managed_location(request, pk)
    form = OverrideForm(request.POST or None)
    done = handle_form(
        request, form, lambda data: services.override_set(
            location=location, user=request.user, **data),
        success_message=lambda override: (
            f"{location.name} is rated {override.get_rating_display().lower()} until "
            f"{long_date(override.expires_on)}."),
        redirect_to=reverse("risk:location", args=[location.pk]))
    if done:
        return done
    return render(request, "risk/form.html", {
        "form": form, "location": location, "title": "Override the rating",
        "button": "Override rating"})


def concern_add(request, pk: int):
    location = _managed_location(request, pk)
    form = ConcernForm(request.POST or None, initial={"raised_on": timezone.localdate()})
    done = handle_form(
        request, form, lambda data: services.concern_raise(
            location=location, user=request.user, **data),
        success_message="Concern recorded.",
        redirect_to=reverse("risk:location", args=[location.pk]),
        already_sent="That concern was already recorded; it was saved once.")
    if done:
        return done
    return render(request, "risk/form.html", {
        "form": form, "location": location, "title": "Record a quality concern",
        "button": "Save concern"})


def concern_close(request, pk: int):
    concern = tenancy.access_concern(request.user, pk, Capability.MANAGE_OUTBREAKS)
    location = concern.location
    form = ConcernCloseForm(request.POST or None, initial={"closed_on": timezone.localdate()})
    done = handle_form(
        request, form, lambda data: services.concern_close(
            concern=concern, user=request.user, **data),
        success_message="Concern closed.",
        redirect_to=reverse("risk:location", args=[location.pk]))
    if done:
        return done
    return render(request, "risk/form.html", {
        "form": form, "location": location, "title": f"Close the concern: {concern.summary}",
        "button": "Close concern"})


def policies(request):
    tenancy.require(request.user, Capability.MANAGE_OUTBREAKS)
    return render(request, "risk/policies.html", {
        "tables": [risk_tables.policy_table(a, selectors.policy_for(a.pk), rules.RULES)
                   for a in tenancy.authorities(request.user, Capability.MANAGE_OUTBREAKS)]})


def policy_edit(request, code: str):
    authority = tenancy.access_authority(request.user, code, Capability.MANAGE_OUTBREAKS)
    form = PolicyForm(request.POST or None, policy=selectors.policy_for(authority.pk))
    done = handle_form(
        request, form, lambda data: services.policy_set(
            authority=authority, rules_chosen=form.chosen(), user=request.user,
            ambers_make_red=data["ambers_make_red"]),
        success_message=f"Risk rules for {authority.name} saved.",
        redirect_to=reverse("risk:policies"))
    if done:
        return done
    return render(request, "risk/policy_form.html", {"form": form, "authority": authority})
