"""Report pages: choose and build a report, download it, publish it; published reports (frozen,
with what has changed since); narrative entries; an authority's report settings."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from caresight.core import tenancy
from caresight.core.db import replica_reads
from caresight.core.query import page_date
from caresight.core.report_sections import sections as data_sections
from caresight.core.tenancy import OPERATOR, Capability
from caresight.core.timeutils import long_date
from caresight.core.views import attachment_response, handle_form, history_page

from . import rendering, selectors, services, tables
from .forms import EntryEditForm, EntryForm, ScheduleEditForm, ScheduleForm, SettingsForm
from .kinds import format_sections, kind_choices, kinds

VIEW, WRITE, PUBLISH = (Capability.VIEW_REPORTS, Capability.WRITE_NARRATIVE,
                        Capability.PUBLISH_REPORTS)
FILE_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "html": ("text/html; charset=utf-8", "html"),
}


def _choice(request) -> dict:
    """The report asked for in the query string: kind, authorities, date and period start."""
    today = timezone.localdate()
    kind = request.GET.get("kind") if request.GET.get("kind") in kinds() else "highlight"
    return {"kind": kind, "authority_codes": request.GET.getlist("authority"),
            "as_of": page_date(request, "as_of", today, "Report date"),
            "period_from": page_date(request, "from", None, "Start of the reporting period")}


def _choice_query(choice: dict, **extra) -> str:
    pairs = [("kind", choice["kind"])] + [("authority", c) for c in choice["authority_codes"]]
    pairs.append(("as_of", choice["as_of"].isoformat()))
    if choice.get("period_from"):
        pairs.append(("from", choice["period_from"].isoformat()))
    return urlencode(pairs + list(extra.items()))


@replica_reads()
def index(request):
    tenancy.require(request.user, VIEW)
    choice = _choice(request)
    authorities = tenancy.authorities(request.user, VIEW)
    published = selectors.published_list(user=request.user)[:20]
    return render(request, "reports/index.html", {
        "choice": choice, "kinds": kind_choices(), "authorities": authorities,
        "chosen": set(choice["authority_codes"]) or {a.ons_code for a in authorities[:1]},
        "published": tables.published_table(published, title="Recently published"),
        "can_write": tenancy.has_capability(request.user, WRITE),
        "can_publish": tenancy.has_capability(request.user, PUBLISH)})


@replica_reads()
def build(request):
    """The report built from the live data now, for the chosen area and period: the page, or
    its PDF, Word or HTML file (`?format=`)."""
    tenancy.require(request.user, VIEW)
    choice = _choice(request)
    try:
        figures = selectors.report_figures(user=request.user, **choice)
    except ValidationError as exc:
        return _refused(request, choice, exc)
    authorities = selectors.area_authorities(request.user, choice["authority_codes"])
    settings = selectors.report_settings(authorities[0], choice["kind"])
    fmt = request.GET.get("format")
    if fmt:
        if fmt not in FILE_TYPES:
            raise Http404("No such format.")
        return _file(rendering.draw(figures, settings, fmt), fmt, _file_stem(figures, draft=True))
    period_from = dt.date.fromisoformat(figures["period_from"])
    published = selectors.existing_publication(choice["kind"], authorities, period_from,
                                               choice["as_of"])
    choice = {**choice, "period_from": period_from}
    model = rendering.view_model(figures, logo=settings["logo"],
                                 logo_type=settings["logo_type"])
    return render(request, "reports/report.html", {
        **model, "choice": choice, "query": _choice_query(choice),
        "downloads": [(label, f"?{_choice_query(choice, format=fmt)}")
                      for fmt, label in (("pdf", "PDF"), ("docx", "Word (DOCX)"),
                                         ("html", "Web page (HTML)"))],
        "published": published if published and tenancy.allows(request.user, VIEW, published)
        else None,
        "can_publish": all(tenancy.allows(request.user, PUBLISH, a) for a in authorities),
        "can_write": tenancy.has_capability(request.user, WRITE),
        "entries_url": reverse("reports:entries") + "?" + urlencode(
            [("authority", a.ons_code) for a in authorities[:1]]
            + [("from", period_from.isoformat()), ("to", choice["as_of"].isoformat())])})


def _refused(request, choice: dict, exc: ValidationError):
    """The choice page again, with what is wrong with the choice."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"report": exc.messages}
    authorities = tenancy.authorities(request.user, VIEW)
    response = render(request, "reports/index.html", {
        "choice": choice, "kinds": kind_choices(), "authorities": authorities,
        "chosen": set(choice["authority_codes"]),
        "errors": [(field, message) for field, items in errors.items() for message in items],
        "published": tables.published_table(selectors.published_list(user=request.user)[:20],
                                            title="Recently published"),
        "can_write": tenancy.has_capability(request.user, WRITE),
        "can_publish": tenancy.has_capability(request.user, PUBLISH)})
    response.status_code = 400
    return response


def _file_stem(figures: dict, *, draft: bool) -> str:
    from django.utils.text import slugify

    stem = slugify(f"{figures['kind_label']} {figures['area_name']} {figures['as_of']}")
    return f"{stem}-draft" if draft else stem


def _file(content: bytes, fmt: str, stem: str) -> HttpResponse:
    content_type, extension = FILE_TYPES[fmt]
    return attachment_response(content, content_type, f"{stem}.{extension}")


@require_POST
def publish(request):
    tenancy.require(request.user, PUBLISH)
    choice = {"kind": request.POST.get("kind", ""),
              "authority_codes": request.POST.getlist("authority")}
    try:
        choice["as_of"] = dt.date.fromisoformat(request.POST.get("as_of", ""))
        choice["period_from"] = dt.date.fromisoformat(request.POST.get("from", ""))
    except ValueError:
        messages.error(request, "The report to publish was not recognised: choose it again.")
        return redirect("reports:index")
    try:
        report = services.report_publish(user=request.user, **choice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("reports:build") + "?" + _choice_query(choice))
    messages.success(request, f"{report.title} for {report.area_name}, "
                              f"{selectors.period_label(report.period_from, report.as_of)}, "
                              "is published. Its figures and files are kept as they are now.")
    return redirect("reports:published", pk=report.pk)


@replica_reads()
def published_list(request):
    tenancy.require(request.user, VIEW)
    return render(request, "reports/published_list.html", {
        "table": tables.published_table(selectors.published_list(user=request.user))})


@replica_reads()
def published(request, pk: int):
    report = selectors.published_report(request.user, pk)
    figures = report.figures
    live = selectors.report_figures(user=OPERATOR, kind=report.kind,
                                    authority_codes=figures["authorities"],
                                    as_of=report.as_of, period_from=report.period_from,
                                    like=figures)
    changes = selectors.figure_changes(figures, live)
    return render(request, "reports/published.html", {
        **rendering.view_model(figures), "published": report,
        "hash_matches": selectors.figures_hash(figures) == report.figures_sha256,
        "headline": [c for c in changes if c["headline"]], "changes": changes[:200],
        "changes_count": len(changes),
        "narrative_changes": selectors.narrative_changes(figures, live),
        "deliveries": tables.deliveries_table(selectors.report_deliveries(report))
        if all(tenancy.allows(request.user, PUBLISH, a) for a in report.authorities.all())
        else None,
        "downloads": [(label, reverse("reports:published-file", args=[report.pk, fmt]))
                      for fmt, label in (("pdf", "PDF"), ("docx", "Word (DOCX)"),
                                         ("html", "Web page (HTML)"))]})


@replica_reads()
def published_file(request, pk: int, fmt: str):
    report = selectors.published_report(request.user, pk)
    if fmt not in FILE_TYPES:
        raise Http404("No such format.")
    return _file(report.file(fmt), fmt, _file_stem(report.figures, draft=False))


# --- Narrative entries -------------------------------------------------------------------------


@replica_reads()
def entries(request):
    tenancy.require(request.user, VIEW)
    today = timezone.localdate()
    date_to = page_date(request, "to", today, "To")
    date_from = page_date(request, "from", date_to - dt.timedelta(days=6), "From")
    authority = (request.GET.get("authority") or "").strip().upper()
    rows = selectors.entry_list(user=request.user).filter(on__gte=date_from, on__lte=date_to)
    if authority:
        rows = rows.filter(authority__ons_code=authority)
    return render(request, "reports/entries.html", {
        "table": tables.entries_table(rows.order_by("on", "section", "pk"),
                                      can_write=tenancy.has_capability(request.user, WRITE)),
        "date_from": date_from, "date_to": date_to, "authority": authority,
        "period": selectors.period_label(date_from, date_to),
        "authorities": tenancy.authorities(request.user, VIEW),
        "can_write": tenancy.has_capability(request.user, WRITE)})


def entry_new(request):
    tenancy.require(request.user, WRITE)
    initial = {"on": timezone.localdate()}
    if request.GET.get("section"):
        initial["section"] = request.GET["section"]
    form = EntryForm(request.POST or None, initial=initial,
                     authorities=tenancy.authorities(request.user, WRITE))
    done = handle_form(
        request, form, lambda data: services.entry_create(user=request.user, **data),
        success_message=lambda entry: f"The entry for {long_date(entry.on)} is added.",
        redirect_to=lambda entry: reverse("reports:entries") + "?" + urlencode(
            {"authority": entry.authority.ons_code, "to": entry.on.isoformat(),
             "from": (entry.on - dt.timedelta(days=6)).isoformat()}),
        already_sent="That entry was already added; it was added once.")
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Add a narrative entry", "button": "Add entry",
        "back": reverse("reports:entries"),
        "intro": "Entries are the report's words: new guidance, challenges, recovery, "
                 "horizon scanning. Each one is in the reports whose period takes in its date, "
                 "under its section, and can be edited until the report is published."})


def entry_edit(request, pk: int):
    entry = tenancy.access_narrative_entry(request.user, pk, WRITE)
    form = EntryEditForm(request.POST or None, initial={
        "section": entry.section, "service_area": entry.service_area, "on": entry.on,
        "text": entry.text})
    done = handle_form(
        request, form, lambda data: services.entry_update(user=request.user, entry=entry,
                                                          **data),
        success_message="The entry is saved.",
        redirect_to=reverse("reports:entries") + "?" + urlencode(
            {"authority": entry.authority.ons_code, "to": entry.on.isoformat(),
             "from": (entry.on - dt.timedelta(days=6)).isoformat()}))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Edit a narrative entry", "button": "Save entry",
        "caption": entry.authority.name, "back": reverse("reports:entries"),
        "intro": "A report already published keeps the entry as it was."})


@replica_reads()
def entry_history(request, pk: int):
    entry = tenancy.access_narrative_entry(request.user, pk, VIEW)
    return history_page(request, entry, back_url=reverse("reports:entries"))


# --- Settings ----------------------------------------------------------------------------------


def settings_page(request, code: str, kind: str):
    authority = tenancy.access_authority(request.user, code, PUBLISH)
    if kind not in kinds():
        raise Http404("No such report.")
    current = selectors.report_settings(authority, kind)
    form = SettingsForm(request.POST or None, request.FILES or None, initial={
        "title": current["title"], "author_line": current["author_line"],
        "service_areas": current["service_areas"],
        "sections_text": format_sections(current["sections"])})
    done = handle_form(
        request, form, lambda data: services.settings_update(
            user=request.user, authority=authority, kind=kind, **data),
        success_message=f"The {kinds()[kind].label.lower()} settings for {authority.name} "
                        "are saved.",
        redirect_to=reverse("reports:index"))
    if done:
        return done
    return render(request, "reports/settings.html", {
        "form": form, "authority": authority, "kind": kinds()[kind],
        "has_logo": bool(current["logo"]),
        "data_sections": sorted((key, s.heading) for key, s in data_sections().items())})


# --- Schedules ---------------------------------------------------------------------------------


def _schedule_form_authorities(user, authority):
    return tenancy.authorities(user, PUBLISH).exclude(pk=authority.pk)


@replica_reads()
def schedules(request, code: str):
    authority = tenancy.access_authority(request.user, code, PUBLISH)
    return render(request, "reports/schedules.html", {
        "authority": authority,
        "table": tables.schedules_table(selectors.schedule_list(user=request.user,
                                                                authority=authority)),
        "runs": tables.runs_table(selectors.run_list(user=request.user, authority=authority))})


SCHEDULE_INTRO = ("The report is built from the live figures for the period that has just "
                  "ended, published (or, if someone has published it already, that publication "
                  "is used) and emailed with its PDF and Word files to everyone on the "
                  "distribution list.")


def schedule_new(request, code: str):
    authority = tenancy.access_authority(request.user, code, PUBLISH)
    form = ScheduleForm(request.POST or None, initial={
        "frequency": "weekly", "weekday": 0, "time_of_day": dt.time(8, 0), "active": True},
        authorities=_schedule_form_authorities(request.user, authority))
    done = handle_form(
        request, form, lambda data: services.schedule_save(user=request.user,
                                                           authority=authority, **data),
        success_message=lambda s: f"The {kinds()[s.kind].label.lower()} for {authority.name} "
                                  f"is scheduled: {tables.schedule_when(s).lower()}.",
        redirect_to=reverse("reports:schedules", args=[authority.ons_code]),
        already_sent="That schedule was already added; it was added once.")
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Schedule a report", "button": "Add schedule",
        "caption": authority.name,
        "back": reverse("reports:schedules", args=[authority.ons_code]),
        "intro": SCHEDULE_INTRO})


def schedule_edit(request, pk: int):
    schedule = tenancy.access_report_schedule(request.user, pk, PUBLISH)
    authority = schedule.authority
    form = ScheduleEditForm(request.POST or None, initial={
        "kind": schedule.kind, "joint_with": list(schedule.joint_with.all()),
        "frequency": schedule.frequency, "weekday": schedule.weekday,
        "day_of_month": schedule.day_of_month, "time_of_day": schedule.time_of_day,
        "recipients": "\n".join(schedule.recipients), "active": schedule.active},
        authorities=_schedule_form_authorities(request.user, authority))
    done = handle_form(
        request, form, lambda data: services.schedule_save(
            user=request.user, authority=authority, schedule=schedule, **data),
        success_message="The schedule is saved.",
        redirect_to=reverse("reports:schedules", args=[authority.ons_code]))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Change a report schedule", "button": "Save schedule",
        "caption": authority.name,
        "back": reverse("reports:schedules", args=[authority.ons_code]),
        "intro": SCHEDULE_INTRO})


@replica_reads()
def schedule_history(request, pk: int):
    schedule = tenancy.access_report_schedule(request.user, pk, PUBLISH)
    return history_page(request, schedule,
                        back_url=reverse("reports:schedules",
                                         args=[schedule.authority.ons_code]))
