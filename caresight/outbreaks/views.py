"""Outbreak pages: thin views over the outbreak selectors and services."""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from caresight.core import tenancy
from caresight.core.query import page_date
from caresight.core.tables import BOOK_FORMATS, download_links, download_response
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import call_and_tell, handle_form, history_page
from caresight.registry.selectors import area_choices, location_list

from . import selectors, services, tables
from .forms import (
    ImtActionForm,
    ImtMeetingForm,
    LearningReviewForm,
    OverrideForm,
    ReportForm,
    ThresholdsForm,
    UpdateForm,
)
from .models import ImtMeeting, Status


def _period(request):
    as_of = page_date(request, "as_of", timezone.localdate())
    since = page_date(request, "since", selectors.default_since(as_of))
    authority = (request.GET.get("authority") or "").strip().upper() or None
    return as_of, min(since, as_of), authority


def tracker(request):
    tenancy.require(request.user, Capability.VIEW_OUTBREAKS)
    as_of, since, authority = _period(request)
    summary, rows = selectors.tracker(user=request.user, as_of=as_of, since=since,
                                      authority=authority)
    period = {"as_of": as_of.isoformat(), "since": since.isoformat(),
              "authority": authority or ""}

    def list_url(name: str) -> str:
        return f"{reverse('outbreaks:list')}?{urlencode({'show': name, **period})}"

    book = tables.tracker_book(summary, rows, as_of=as_of, since=since, list_url=list_url)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return download_response(request, book, fmt,
                                 file_stem=f"outbreak-tracker-{as_of.isoformat()}")
    figures, by_locality, _ = book.tables
    return render(request, "outbreaks/tracker.html", {
        "summary": summary, "as_of": as_of, "since": since, "authority": authority or "",
        "figures": figures, "by_locality": by_locality,
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request, BOOK_FORMATS),
        "areas": area_choices(user=request.user, capability=Capability.VIEW_OUTBREAKS),
        "lists": selectors.LISTS,
        "can_manage": tenancy.has_capability(request.user, Capability.MANAGE_OUTBREAKS),
    })


def outbreak_list(request):
    tenancy.require(request.user, Capability.VIEW_OUTBREAKS)
    as_of, since, authority = _period(request)
    show = request.GET.get("show") if request.GET.get("show") in selectors.LISTS else "on_tracker"
    _, rows = selectors.tracker(user=request.user, as_of=as_of, since=since, authority=authority)
    rows = [row for row in rows if show in row["lists"]]
    locality = request.GET.get("locality") or ""
    if locality:
        rows = [row for row in rows if row["locality"] == locality]
    kind = request.GET.get("kind") or ""
    if kind:
        rows = [row for row in rows if row["kind"] == kind]
    service_type = request.GET.get("service_type") or ""
    types = sorted({row["service_type"] for row in rows} | ({service_type} - {""}))
    if service_type:
        rows = [row for row in rows if row["service_type"] == service_type]
    table = tables.tracker_table(rows, title=selectors.LISTS[show])
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return download_response(request, table, fmt,
                                 file_stem=f"outbreaks-{show}-{as_of.isoformat()}")
    query = request.GET.copy()
    query.pop("download", None)
    return render(request, "outbreaks/list.html", {
        "rows": rows, "table": table, "show": show, "heading": selectors.LISTS[show],
        "as_of": as_of,
        "since": since, "authority": authority or "", "locality": locality, "kind": kind,
        "service_type": service_type, "service_types": types,
        "lists": selectors.LISTS, "query": query.urlencode(),
        "localities": sorted({row["locality"] for row in rows} | ({locality} - {""})),
        "areas": area_choices(user=request.user, capability=Capability.VIEW_OUTBREAKS),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request),
    })


def report_search(request):
    """Find the service to report an outbreak at."""
    tenancy.require(request.user, Capability.MANAGE_OUTBREAKS)
    q = (request.GET.get("q") or "").strip()
    found = []
    if q:
        found = list(location_list(user=request.user, capability=Capability.MANAGE_OUTBREAKS)
                     .filter(Q(name__icontains=q) | Q(cqc_location_id__iexact=q)
                             | Q(postcode__iexact=q))[:25])
    return render(request, "outbreaks/report_search.html", {"q": q, "found": found})


def location_outbreaks(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.VIEW_OUTBREAKS)
    return render(request, "outbreaks/location.html", {
        "location": location,
        "table": tables.location_outbreaks_table(
            location, selectors.outbreak_list(user=request.user).filter(location=location)),
        "open": selectors.open_outbreak(location),
        "meetings": location.imt_meetings.prefetch_related("actions"),
        "can_manage": tenancy.allows(request.user, Capability.MANAGE_OUTBREAKS, location),
    })


def outbreak_report(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.MANAGE_OUTBREAKS)
    form = ReportForm(request.POST or None)
    done = handle_form(
        request, form, lambda data: services.outbreak_report(
            location=location, reported_on=data["reported_on"],
            reported_by=data["reported_by"], reporter_name=data["reporter_name"],
            first_symptoms_on=data["first_symptoms_on"], counts=form.counts(),
            user=request.user),
        success_message=f"Outbreak at {location.name} reported.",
        redirect_to=lambda outbreak: reverse("outbreaks:detail", args=[outbreak.pk]),
        already_sent="That outbreak was already reported; it was recorded once.")
    if done:
        return done
    return render(request, "outbreaks/report.html", {"form": form, "location": location})


def outbreak_detail(request, pk: int):
    outbreak = tenancy.access_outbreak(request.user, pk, Capability.VIEW_OUTBREAKS)
    today = timezone.localdate()
    changes = list(outbreak.status_changes.select_related("recorded_by"))
    updates = list(outbreak.updates.select_related("recorded_by"))
    can_manage = tenancy.allows(request.user, Capability.MANAGE_OUTBREAKS, outbreak)
    return render(request, "outbreaks/detail.html", {
        "outbreak": outbreak, "location": outbreak.location,
        "status": next((c.status for c in reversed(changes) if c.on <= today), None),
        "status_changes": tables.status_changes_table(changes, today=today),
        "updates_table": tables.updates_table(outbreak, updates, can_manage=can_manage),
        "meetings": outbreak.imt_meetings.prefetch_related("actions"),
        "review": getattr(outbreak, "learning_review", None),
        "can_manage": can_manage,
        "is_open": outbreak.is_open_on(today),
        "closure": outbreak.closure_text(today),
        "deaths": sum(u.deaths for u in updates),
        "cases": sum(u.new_cases for u in updates),
    })


def _managed_outbreak(request, pk: int):
    return tenancy.access_outbreak(request.user, pk, Capability.MANAGE_OUTBREAKS)


def update_add(request, pk: int):
    outbreak = _managed_outbreak(request, pk)
    form = UpdateForm(request.POST or None, initial={"on": timezone.localdate(),
                                                     "kind": outbreak.kind})
    done = handle_form(
        request, form, lambda data: services.update_record(
            outbreak=outbreak, on=data["on"], counts=form.counts(), user=request.user),
        success_message=lambda update: f"Update for {long_date(update.on)} saved.",
        redirect_to=reverse("outbreaks:detail", args=[outbreak.pk]))
    if done:
        return done
    return render(request, "outbreaks/form.html", {
        "form": form, "outbreak": outbreak, "title": "Add an update",
        "button": "Save update"})


def update_correct(request, pk: int, on: str):
    """Correct one day's update (a mistyped count): the correction is kept in its history."""
    outbreak = _managed_outbreak(request, pk)
    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        raise Http404 from None
    update = get_object_or_404(outbreak.updates, on=day)
    form = UpdateForm(request.POST or None, initial={
        "on": update.on, "kind": update.kind, "new_cases_residents": update.new_cases_residents,
        "new_cases_staff": update.new_cases_staff, "deaths": update.deaths, "notes": update.notes,
        "admissions_closed": {True: "yes", False: "no"}.get(update.admissions_closed, "")})
    form.fields["on"].disabled = True
    done = handle_form(
        request, form, lambda data: services.update_record(
            outbreak=outbreak, on=update.on, counts=form.counts(), user=request.user,
            replace=True),
        success_message=f"Update for {long_date(update.on)} corrected.",
        redirect_to=reverse("outbreaks:detail", args=[outbreak.pk]))
    if done:
        return done
    return render(request, "outbreaks/form.html", {
        "form": form, "outbreak": outbreak, "title": f"Correct the update of {long_date(day)}",
        "button": "Save correction"})


def status_override(request, pk: int):
    outbreak = _managed_outbreak(request, pk)
    form = OverrideForm(request.POST or None, initial={"on": timezone.localdate()})
    done = handle_form(
        request, form, lambda data: services.status_override(
            outbreak=outbreak, on=data["on"], status=data["status"], reason=data["reason"],
            user=request.user),
        success_message=lambda _: (
            f"Status set to {Status(form.cleaned_data['status']).label.lower()} "
            f"from {long_date(form.cleaned_data['on'])}."),
        redirect_to=reverse("outbreaks:detail", args=[outbreak.pk]))
    if done:
        return done
    return render(request, "outbreaks/form.html", {
        "form": form, "outbreak": outbreak, "title": "Change the status by hand",
        "button": "Change status",
        "intro": "The status normally follows the days since the last new case. Setting it "
                 "by hand holds until the next new case; the reason is kept in the record."})


def imt_add(request, pk: int):
    outbreak = _managed_outbreak(request, pk)
    return _imt_form(request, outbreak.location, outbreak)


def location_imt_add(request, pk: int):
    """An IMT meeting about a service of concern, with or without an outbreak."""
    location = tenancy.access_location(request.user, pk, Capability.MANAGE_OUTBREAKS)
    return _imt_form(request, location, selectors.open_outbreak(location))


def _imt_form(request, location, outbreak):
    form = ImtMeetingForm(request.POST or None, initial={"held_on": timezone.localdate()})
    done = handle_form(
        request, form, lambda data: services.imt_meeting_record(
            location=location, outbreak=outbreak, user=request.user, **data),
        success_message="IMT meeting recorded. Add its actions below.",
        redirect_to=lambda meeting: reverse("outbreaks:imt", args=[meeting.pk]),
        already_sent="That meeting was already recorded; it was saved once.")
    if done:
        return done
    back = (reverse("outbreaks:detail", args=[outbreak.pk]) if outbreak
            else reverse("outbreaks:location", args=[location.pk]))
    return render(request, "outbreaks/form.html", {
        "form": form, "outbreak": outbreak, "location": location,
        "title": "Record an IMT meeting", "button": "Save meeting", "back_url": back})


def _meeting(request, pk: int) -> ImtMeeting:
    return tenancy.access_imt_meeting(request.user, pk, Capability.VIEW_OUTBREAKS)


def imt_detail(request, pk: int):
    meeting = _meeting(request, pk)
    can_manage = tenancy.allows(request.user, Capability.MANAGE_OUTBREAKS, meeting.location)
    form = ImtActionForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404("No such record.")
        done = handle_form(
            request, form, lambda data: services.imt_action_add(
                meeting=meeting, user=request.user, **data),
            success_message="Action added.",
            redirect_to=reverse("outbreaks:imt", args=[meeting.pk]))
        if done:
            return done
    return render(request, "outbreaks/imt.html", {
        "meeting": meeting, "form": form, "can_manage": can_manage,
        "table": tables.imt_actions_table(meeting.actions.all(), today=timezone.localdate(),
                                          can_manage=can_manage)})


@require_POST
def imt_action_done(request, pk: int):
    action = tenancy.access_imt_action(request.user, pk, Capability.MANAGE_OUTBREAKS)
    meeting = action.meeting
    call_and_tell(request, lambda: services.imt_action_done(
        action=action, done_on=timezone.localdate(), user=request.user),
        lambda _: f"“{action.description}” marked as done.")
    return redirect("outbreaks:imt", pk=meeting.pk)


def learning_review(request, pk: int):
    outbreak = _managed_outbreak(request, pk)
    review = getattr(outbreak, "learning_review", None)
    initial = ({"reviewed_on": review.reviewed_on, "what_happened": review.what_happened,
                "lessons": review.lessons, "shared_with": review.shared_with} if review
               else {"reviewed_on": timezone.localdate()})
    form = LearningReviewForm(request.POST or None, initial=initial)
    done = handle_form(
        request, form, lambda data: services.learning_review_record(
            outbreak=outbreak, user=request.user, **data),
        success_message="Learning review saved.",
        redirect_to=reverse("outbreaks:detail", args=[outbreak.pk]))
    if done:
        return done
    return render(request, "outbreaks/form.html", {
        "form": form, "outbreak": outbreak, "title": "Learning review", "button": "Save review"})


def outbreak_history(request, pk: int):
    outbreak = tenancy.access_outbreak(request.user, pk, Capability.VIEW_OUTBREAKS)
    return history_page(request, outbreak, back_url=reverse("outbreaks:detail", args=[outbreak.pk]))


def thresholds(request):
    tenancy.require(request.user, Capability.MANAGE_OUTBREAKS)
    authorities = tenancy.authorities(request.user, Capability.MANAGE_OUTBREAKS)
    rows = [(a, *services.thresholds_for(a.pk)) for a in authorities]
    return render(request, "outbreaks/thresholds.html", {"table": tables.thresholds_table(rows)})


def thresholds_edit(request, code: str):
    authority = tenancy.access_authority(request.user, code, Capability.MANAGE_OUTBREAKS)
    de_escalation, closure = services.thresholds_for(authority.pk)
    form = ThresholdsForm(request.POST or None, initial={"de_escalation_days": de_escalation,
                                                         "closure_days": closure})
    done = handle_form(
        request, form, lambda data: services.thresholds_set(
            authority=authority, user=request.user, **data),
        success_message=f"Thresholds for {authority.name} saved. They apply to outbreaks "
        "reported from now on.",
        redirect_to=reverse("outbreaks:thresholds"))
    if done:
        return done
    return render(request, "outbreaks/form.html", {
        "form": form, "title": f"Outbreak thresholds for {authority.name}",
        "button": "Save thresholds", "back_url": reverse("outbreaks:thresholds"),
        "intro": "An outbreak de-escalates and then closes after these many days without a "
                 "new case. New values apply to outbreaks reported from now on; outbreaks "
                 "already reported keep the values they started with."})
