"""The landing page: a dashboard for each role (core.views.home shows it, URL "home").

Officers get their authorities' figures, a provider's staff what is due from them, and
regional and national viewers the figures by authority with small numbers suppressed. Any
day (`?as_of=`, not in the future) and one of the user's authorities (`?authority=CODE`) or
all of them; a bad value shows the default with a message naming the field (and answers 400).
"""

import hashlib

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.charts import line_chart_svg
from caresight.core.dashboards import is_suppressed, suppress_below
from caresight.core.db import replica_reads
from caresight.core.query import note_error, page_date
from caresight.core.tables import download_links, download_response
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables

FUTURE = "Date must be today or in the past"
NOT_YOURS = "Authority must be one of your authorities"


def _as_of(request):
    today = timezone.localdate()
    as_of = page_date(request, "as_of", today)
    if as_of > today:
        note_error(request, "as_of", FUTURE)
        return today
    return as_of


def _authority(request, audience: str):
    """The authority asked for, if it is one of the user's (whole); another council's is
    answered exactly as one that does not exist."""
    code = (request.GET.get("authority") or "").strip().upper()
    if not code:
        return None
    try:
        return tenancy.access_authority(request.user, code, selectors.CAPABILITY[audience])
    except Http404:
        note_error(request, "authority", NOT_YOURS)
        return None


@replica_reads()
def home(request):
    audience = selectors.audience_of(request.user)
    if audience is None:
        return redirect("accounts:account")  # signed in with no role yet
    as_of = _as_of(request)
    if audience == "provider":
        shown = selectors.provider_dashboard(user=request.user, as_of=as_of)
        return render(request, "dashboards/provider.html", {
            "as_of": as_of, "groups": selectors.grouped(shown),
            "is_today": as_of == timezone.localdate()})
    authority = _authority(request, audience)
    codes = [authority.ons_code] if authority else []
    context = {
        "as_of": as_of, "authority": authority.ons_code if authority else "",
        "area_name": authority.name if authority else "all your authorities",
        "authorities": selectors.authority_choices(user=request.user, audience=audience),
    }
    if audience == "aggregates":
        return _aggregates(request, as_of, codes, context)
    shown = selectors.officer_dashboard(user=request.user, as_of=as_of, authority_codes=codes)
    if tenancy.has_capability(request.user, Capability.VIEW_OUTBREAKS):
        context |= _trend(request, as_of, codes, Capability.VIEW_OUTBREAKS, suppressed=False)
    return render(request, "dashboards/officer.html", {
        **context, "groups": selectors.grouped(shown)})


def _trend(request, as_of, codes, capability, *, suppressed: bool) -> dict:
    points = selectors.outbreak_trend(user=request.user, as_of=as_of, authority_codes=codes,
                                      capability=capability)

    def plotted(key: str) -> list:  # a suppressed count is a gap, not a point
        return [None if suppressed and is_suppressed(p[key]) else p[key] for p in points]

    chart = _chart(dates=[p["date"] for p in points],
                   series=[("Live outbreaks", plotted("live")),
                           ("New in the week", plotted("new"))], y_label="Outbreaks")
    return {"chart": chart, "trend_table": tables.trend_table(points, suppressed=suppressed),
            "trend_from": long_date(points[0]["date"])}


CHART_SECONDS = 15 * 60


def _chart(*, dates, series, y_label: str) -> str:
    """The chart's SVG, kept in the cache by what it shows: drawing it (matplotlib) is most of
    a dashboard's time, and the same figures make the same picture, whoever asks (the key
    is the figures themselves, so nobody is shown a picture of figures they were not given)."""
    key = "dashboard-chart:" + hashlib.sha256(
        repr((dates, series, y_label)).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = line_chart_svg(dates=dates, series=series, y_label=y_label)
        cache.set(key, svg, CHART_SECONDS)
    return str(svg)


def _aggregates(request, as_of, codes, context):
    tiles, rows = selectors.aggregate_rows(user=request.user, as_of=as_of, authority_codes=codes)
    table = tables.aggregate_table(tiles, rows)
    fmt = request.GET.get("download")
    if fmt:
        # Counts only, suppressed as on the page: no record-level data to log.
        return download_response(request, table, fmt, log=False,
                                 file_stem=f"dashboard-by-authority-{as_of.isoformat()}")
    context |= _trend(request, as_of, codes, Capability.VIEW_AGGREGATES, suppressed=True)
    return render(request, "dashboards/aggregates.html", {
        **context, "table": table, "download_links": download_links(request),
        "suppress_below": suppress_below()})
