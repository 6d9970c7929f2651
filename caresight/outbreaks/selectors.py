"""Reads for outbreaks: the tracker for any day, the lists behind it, and one outbreak.

Statuses are read from the dated status changes, so the tracker for a past day shows what
was known to be true on that day (given what has been recorded since).
"""

import datetime as dt
from collections import Counter

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.tenancy import Capability
from caresight.registry.selectors import area_authority_ids

from .models import Outbreak, Status, StatusChange, Update

DEFAULT_PERIOD_DAYS = 28
# The tracker's lists: key -> heading
LISTS = {
    "on_tracker": "On the tracker",
    "live": "Live, being supported",
    "de_escalation": "On the de-escalation pathway",
    "closed": "Closed and removed from the tracker",
    "new": "New outbreaks",
}


def outbreak_list(*, user, capability: Capability = Capability.VIEW_OUTBREAKS
                  ) -> QuerySet[Outbreak]:
    """Outbreaks at services where the user holds `capability`."""
    queryset = Outbreak.objects.select_related(
        "location", "location__provider", "location__authority", "location__locality")
    return tenancy.in_scope(user, capability, queryset)


def default_since(as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)


def statuses_on(outbreaks: QuerySet[Outbreak], day: dt.date) -> dict[int, str]:
    """Each outbreak's status on `day` (absent before it was reported)."""
    found: dict[int, str] = {}
    changes = (StatusChange.objects.filter(outbreak__in=outbreaks.values("pk"), on__lte=day)
               .order_by("outbreak_id", "on", "pk").values_list("outbreak_id", "status"))
    for outbreak_id, status in changes:
        found[outbreak_id] = status  # the last one on or before the day wins
    return found


def tracker_rows(*, user, as_of: dt.date, since: dt.date | None = None,
                 authority: str | None = None, authority_codes=()) -> list[dict]:
    """Every outbreak that was on the tracker on `as_of`, or was reported or closed in the
    period from `since` to `as_of`, with its status that day and which lists it is in (of one
    area, `authority`, and/or of the authorities `authority_codes`, when given)."""
    since = since or default_since(as_of)
    queryset = outbreak_list(user=user).filter(reported_on__lte=as_of).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=since))
    if authority:
        queryset = queryset.filter(location__authority_id__in=area_authority_ids(authority))
    if authority_codes:
        queryset = queryset.filter(location__authority__ons_code__in=list(authority_codes))
    statuses = statuses_on(queryset, as_of)
    last_cases = dict(
        Update.objects.filter(outbreak__in=queryset.values("pk"), on__lte=as_of)
        .filter(Q(new_cases_residents__gt=0) | Q(new_cases_staff__gt=0))
        .values("outbreak_id").annotate(last=Max("on")).values_list("outbreak_id", "last"))
    rows = []
    for outbreak in queryset.order_by("location__name", "reported_on"):
        status = statuses.get(outbreak.pk, Status.LIVE)
        closed = outbreak.closed_on if outbreak.closed_on and outbreak.closed_on <= as_of else None
        lists = []
        if status in (Status.LIVE, Status.DE_ESCALATION):
            lists += ["on_tracker", status]
        if closed and closed >= since:
            lists.append("closed")
        if outbreak.reported_on >= since:
            lists.append("new")
        if not lists:
            continue
        location = outbreak.location
        rows.append({
            "outbreak_id": outbreak.pk,
            "location_id": location.pk,
            "cqc_location_id": location.cqc_location_id or "",
            "name": location.name,
            "provider_id": location.provider_id,
            "provider": location.provider.name,
            "authority": location.authority.name,
            "authority_code": location.authority.ons_code,
            "locality": location.locality_label,
            "service_type": location.get_service_type_display(),
            "status": status,
            "status_label": Status(status).label,
            "reported_on": outbreak.reported_on,
            "kind": outbreak.kind,
            "last_case_on": last_cases.get(outbreak.pk, outbreak.reported_on),
            "closed_on": closed,
            "lists": lists,
        })
    return rows


def tracker_summary(rows: list[dict], *, as_of: dt.date, since: dt.date,
                    authority: str | None = None) -> dict:
    """The seed's "Outbreak update as of" figures from the tracker rows, and by locality."""
    counts = Counter(name for row in rows for name in row["lists"])
    localities: dict[tuple[str, str], Counter] = {}
    for row in rows:
        key = (row["authority"], row["locality"])
        localities.setdefault(key, Counter()).update(row["lists"])
    providers = {row["provider_id"] for row in rows if "on_tracker" in row["lists"]}
    return {
        "as_of": as_of.isoformat(),
        "since": since.isoformat(),
        "authority": authority or "",
        "on_tracker": counts["on_tracker"],
        "live": counts["live"],
        "de_escalation": counts["de_escalation"],
        "closed": counts["closed"],
        "new": counts["new"],
        "providers": len(providers),
        "by_locality": [
            {"authority": authority_name, "locality": locality,
             **{name: c[name] for name in LISTS}}
            for (authority_name, locality), c in sorted(localities.items())
        ],
    }


def tracker(*, user, as_of: dt.date, since: dt.date | None = None,
            authority: str | None = None, authority_codes=()) -> tuple[dict, list[dict]]:
    since = since or default_since(as_of)
    rows = tracker_rows(user=user, as_of=as_of, since=since, authority=authority,
                        authority_codes=authority_codes)
    return tracker_summary(rows, as_of=as_of, since=since, authority=authority), rows


def open_outbreak(location, on: dt.date | None = None) -> Outbreak | None:
    """The outbreak at `location` open on `on` (default today), if there is one."""
    on = on or timezone.localdate()
    return (Outbreak.objects.filter(location=location, reported_on__lte=on)
            .exclude(closed_on__lte=on).order_by("-reported_on").first())


def open_outbreaks(*, location_ids, on: dt.date) -> dict[int, Outbreak]:
    """location ID -> its outbreak open on `on`, for those of `location_ids` with one."""
    found = (Outbreak.objects.filter(location_id__in=list(location_ids), reported_on__lte=on)
             .exclude(closed_on__lte=on).order_by("location_id", "reported_on"))
    return {outbreak.location_id: outbreak for outbreak in found}


def outbreak_export(*, authority_codes: list[str], date_from: dt.date | None = None,
                    date_to: dt.date | None = None) -> list[dict]:
    """For `caresight export outbreaks`: the tracker's rows on `date_to` (default today)."""
    as_of = date_to or timezone.localdate()
    rows = []
    codes: list[str | None] = list(authority_codes) or [None]
    for code in codes:
        rows += tracker_rows(user=tenancy.OPERATOR, as_of=as_of,
                             since=date_from or default_since(as_of),
                             authority=code)
    return rows


def dashboard_counts(*, user, as_of: dt.date, since: dt.date | None = None, authority_codes=(),
                     capability: Capability = Capability.VIEW_OUTBREAKS) -> dict[int, dict]:
    """authority ID -> the tracker's `live` and `new` counts on `as_of` (new: reported from
    `since`, default the tracker's period, to `as_of`), as the tracker counts them, in one
    aggregate statement: each outbreak's status that day is its last status change on or
    before it (live before any)."""
    since = since or default_since(as_of)
    outbreaks = tenancy.in_scope(user, capability, Outbreak).filter(reported_on__lte=as_of)
    if authority_codes:
        outbreaks = outbreaks.filter(location__authority__ons_code__in=list(authority_codes))
    status = Subquery(StatusChange.objects.filter(outbreak=OuterRef("pk"), on__lte=as_of)
                      .order_by("-on", "-pk").values("status")[:1])
    rows = (outbreaks.order_by().annotate(status_then=Coalesce(status, Value(Status.LIVE)))
            .values("location__authority_id")
            .annotate(live=Count("pk", filter=Q(status_then=Status.LIVE)),
                      new=Count("pk", filter=Q(reported_on__gte=since)))
            .values_list("location__authority_id", "live", "new"))
    return {authority_id: {"live": live, "new": new} for authority_id, live, new in rows}


def weekly_live(*, user, as_of: dt.date, weeks: int = 8, authority_codes=(),
                capability: Capability = Capability.VIEW_OUTBREAKS) -> list[dict]:
    """Live outbreaks and new ones (reported in the week) on `as_of` and each week before it,
    for a chart: one aggregate statement a week."""
    points = []
    for back in range(weeks - 1, -1, -1):
        day = as_of - dt.timedelta(weeks=back)
        counts = dashboard_counts(user=user, as_of=day, since=day - dt.timedelta(days=6),
                                  authority_codes=authority_codes, capability=capability)
        points.append({"date": day, "live": sum(c["live"] for c in counts.values()),
                       "new": sum(c["new"] for c in counts.values())})
    return points
