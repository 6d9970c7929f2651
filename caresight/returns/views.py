"""Returns pages: thin views over the returns selectors and services."""

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import history_entries
from caresight.core.charts import line_chart_svg
from caresight.core.query import page_date
from caresight.core.tables import BOOK_FORMATS, download_links, download_response
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import handle_form, history_page
from caresight.registry.selectors import area_choices

from . import selectors, services, tables
from .forms import ReturnForm, SummaryForm, initial_answers
from .models import PPE_LOW_DAYS, RETURN_WINDOW_DAYS, Return


def _area(request) -> str | None:
    """The area (authority or region code) asked for; selectors keep it within scope."""
    return (request.GET.get("authority") or "").strip().upper() or None


def summary(request):
    tenancy.require(request.user, Capability.VIEW_AGGREGATES)
    as_of = page_date(request, "as_of", timezone.localdate())
    previous = page_date(request, "previous", as_of - dt.timedelta(days=7))
    authority = _area(request)
    form = SummaryForm(
        initial={"as_of": as_of, "previous": previous, "authority": authority or ""},
        areas=area_choices(user=request.user), auto_id="%s")
    data = selectors.returns_summary(user=request.user, as_of=as_of, previous=previous,
                                     authority=authority)
    book = tables.summary_book(data, as_of=as_of, previous=previous)
    fmt = request.GET.get("download")
    if fmt:
        return download_response(request, book, fmt,
                                 file_stem=f"returns-summary-{as_of.isoformat()}")
    query = request.GET.copy()
    query.pop("print", None)
    query.pop("download", None)
    overview, measures, beds, absence, ppe, visiting, vaccination = book.tables
    return render(request, "returns/summary.html", {
        "form": form, "summary": data, "as_of": as_of, "previous": previous,
        "printable": request.GET.get("print") == "1", "query": query.urlencode(),
        "measures_table": measures, "beds_table": beds, "absence_table": absence,
        "ppe_table": ppe, "visiting_table": visiting, "vaccination_table": vaccination,
        "download_links": download_links(request, BOOK_FORMATS),
        "can_see_records": tenancy.has_capability(request.user, Capability.VIEW_RECORDS),
        "window_days": RETURN_WINDOW_DAYS, "ppe_low_days": PPE_LOW_DAYS,
    })


def completeness(request):
    tenancy.require(request.user, Capability.VIEW_RECORDS)
    as_of = page_date(request, "as_of", timezone.localdate())
    authority = _area(request)
    rows = selectors.chase_list(user=request.user, as_of=as_of, authority=authority)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return download_response(request, tables.chase_table(rows, as_of=as_of), fmt,
                                 file_stem=f"returns-chase-list-{as_of.isoformat()}")
    points = selectors.completion_over_time(user=request.user, as_of=as_of, authority=authority)
    by_locality: dict[str, list[dict]] = {}
    for row in rows:
        by_locality.setdefault(row["locality"], []).append(row)
    chase_tables = [tables.chase_table(group, as_of=as_of, caption=f"{locality} ({len(group)})")
                    for locality, group in by_locality.items()]
    chart = line_chart_svg(dates=[p["date"] for p in points],
                           series=[("Completion rate", [p["completion_rate"] for p in points])],
                           y_label="% of services", percent=True)
    return render(request, "returns/completeness.html", {
        "as_of": as_of, "authority": authority or "", "chase_tables": chase_tables,
        "missing": len(rows), "completion_table": tables.completion_table(points),
        "chart": chart,
        "areas": area_choices(user=request.user, capability=Capability.VIEW_RECORDS),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request),
    })


def submit_list(request):
    tenancy.require(request.user, Capability.SUBMIT_RETURNS)
    return render(request, "returns/submit_list.html", {"table": tables.submit_table(
        selectors.submittable_locations(user=request.user), today=timezone.localdate())})


def location_returns(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.VIEW_RECORDS)
    as_of = page_date(request, "as_of", timezone.localdate())
    timeline = selectors.location_timeline(location=location, as_of=as_of)
    chart = None
    if timeline["rows"]:
        chart = line_chart_svg(
            dates=[r["date"] for r in timeline["rows"]],
            series=[(label, [r["values"][i] for r in timeline["rows"]])
                    for i, (_, label) in enumerate(timeline["columns"])])
    return render(request, "returns/location.html", {
        "location": location, "timeline": tables.timeline_table(timeline), "chart": chart,
        "as_of": as_of,
        "can_submit": tenancy.allows(request.user, Capability.SUBMIT_RETURNS, location),
    })


def return_detail(request, pk: int):
    ret = tenancy.access_return(request.user, pk, Capability.VIEW_RECORDS)
    measures = selectors.measure_list(measure_set=ret.measure_set)
    answers = [(m, _display(m, ret.values.get(m.code))) for m in measures]
    return render(request, "returns/detail.html", {
        "ret": ret, "answers": answers, "entries": history_entries(ret),
    })


def _display(measure, value) -> str:
    if value is None:
        return "Not answered"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(dict(map(tuple, measure.choices)).get(value, value))


def return_submit(request, pk: int):
    location = tenancy.access_location(request.user, pk, Capability.SUBMIT_RETURNS)
    today = timezone.localdate()
    measure_set = selectors.measure_set_for(service_type=location.service_type, as_of=today)
    if measure_set is None:
        messages.info(request, f"{location.get_service_type_display()} services have no "
                      "return to make.")
        return redirect("returns:location", pk=location.pk)
    last = selectors.return_list(user=request.user, location=location).first()
    initial = {"for_date": today, **(initial_answers(last.values) if last else {})}
    form = ReturnForm(request.POST or None, initial=initial,
                      measures=list(selectors.measure_list(measure_set=measure_set)))

    def saved(submitted) -> str:
        for warning in submitted.warnings:
            messages.warning(request, warning)
        version = submitted.ret.version
        return (f"Return for {location.name} on {long_date(submitted.ret.for_date)} saved"
                f"{'' if version == 1 else f' (version {version})'}.")

    done = handle_form(
        request, form, lambda data: services.return_submit(
            location=location, for_date=data["for_date"], answers=form.answers(),
            user=request.user),
        success_message=saved, redirect_to=reverse("returns:location", args=[location.pk]),
        already_sent="That return was already sent; it was saved once.")
    if done:
        return done
    return render(request, "returns/submit.html", {
        "form": form, "location": location, "last": last,
        "on_behalf": services.submitting_as(request.user, location) == Return.Source.OFFICER,
    })


def return_history(request, pk: int):
    ret = tenancy.access_return(request.user, pk, Capability.VIEW_RECORDS)
    return history_page(request, ret, back_url=reverse("returns:detail", args=[ret.pk]))
