"""Reads for the risk log: every service's rating on a day, why, and the saved logs.

A day's log for an authority is the saved one if it was saved (as distributed), else worked
out from the data as it stands: outbreaks, current returns, concerns and overrides on that day.
"""

import datetime as dt
import json
from collections import defaultdict

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.db import in_parallel
from caresight.core.tenancy import Capability
from caresight.outbreaks.models import Status
from caresight.outbreaks.selectors import outbreak_list, statuses_on
from caresight.registry.models import Location, ServiceType
from caresight.registry.selectors import area_authority_ids, registered_on_q
from caresight.returns.models import SERVICE_GROUP_OF_TYPE
from caresight.returns.selectors import current_numbers

from . import rules
from .models import RATING_ORDER, Concern, Override, Policy, Rating, SavedLog, SavedRating

SERVICE_TYPE_LABELS = dict(ServiceType.choices)
LOG_COLUMNS = ["rating", "name", "cqc_location_id", "provider", "authority", "locality",
               "service_type", "reasons", "override_reason", "override_expires_on",
               "computed_rating", "score"]


def rated_locations(*, user, as_of: dt.date, authority: str | None = None,
                    capability: Capability = Capability.VIEW_OUTBREAKS) -> QuerySet[Location]:
    """The services on the log: registered on `as_of`, in scope (`user=None`: all)."""
    queryset = Location.objects.filter(registered_on_q(as_of))
    if user is not None:
        queryset = tenancy.locations(user, capability, queryset)
    if authority:
        queryset = queryset.filter(authority_id__in=area_authority_ids(authority))
    return queryset


def policies_for(authority_ids, as_of: dt.date | None = None) -> dict[int, rules.Policy]:
    """Each authority's rules as they stood at the end of `as_of` (default: now), read from
    the policies' history, so a past day's log is worked out with that day's rules."""
    records = Policy.history.filter(  # type: ignore[attr-defined]
        authority_id__in=list(authority_ids))
    if as_of is not None:
        end_of_day = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1),
                                                             dt.time.min))
        records = records.filter(history_date__lt=end_of_day)
    latest = {r.authority_id: r for r in records.order_by("history_date", "history_id")}
    return {a: rules.policy_from(latest[a].rules, latest[a].ambers_make_red)
            if a in latest and latest[a].history_type != "-" else rules.DEFAULT_POLICY
            for a in authority_ids}


def policy_for(authority_id: int, as_of: dt.date | None = None) -> rules.Policy:
    return policies_for([authority_id], as_of)[authority_id]


INFO_FIELDS = ("pk", "cqc_location_id", "name", "provider__name", "provider__is_small",
               "authority_id", "authority__name", "locality__name", "service_type")


def _facts_besides_returns(locations: QuerySet[Location], as_of: dt.date) -> dict:
    """The services, their outbreaks' statuses, open concerns, overrides and rules on a day."""
    location_ids = locations.values("pk")
    info = list(locations.order_by().values_list(*INFO_FIELDS))
    outbreaks = outbreak_list(user=None).filter(location__in=location_ids,
                                                reported_on__lte=as_of).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))
    status_by_outbreak = statuses_on(outbreaks, as_of)
    outbreak_status = {}
    for outbreak_id, location_id in outbreaks.values_list("pk", "location_id"):
        status = status_by_outbreak.get(outbreak_id)
        if status in (Status.LIVE, Status.DE_ESCALATION):
            outbreak_status[location_id] = status
    concerns = defaultdict(list)
    for location_id, summary in (Concern.objects.filter(location__in=location_ids,
                                                        raised_on__lte=as_of)
                                 .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))
                                 .order_by("raised_on").values_list("location_id", "summary")):
        concerns[location_id].append(summary)
    overrides: dict[int, Override] = {}
    for found in (Override.objects.filter(location__in=location_ids, starts_on__lte=as_of,
                                          expires_on__gte=as_of)
                  .order_by("starts_on", "created_at")):
        overrides[found.location_id] = found  # the latest one applies
    return {"info": info, "outbreak_status": outbreak_status, "concerns": concerns,
            "overrides": overrides,
            "policies": policies_for({row[5] for row in info}, as_of)}


def computed_ratings(locations: QuerySet[Location], as_of: dt.date) -> list[dict]:
    """Work out every service's rating on `as_of` from the data as it stands.

    The current returns' answers and everything else are read side by side (two connections
    on PostgreSQL): nationally each is a few hundred milliseconds.
    """
    known, answers = in_parallel(
        lambda: _facts_besides_returns(locations, as_of),
        lambda: current_numbers(locations, as_of, rules.MEASURES, rules.TOTALS))
    outbreak_status, concerns = known["outbreak_status"], known["concerns"]
    overrides, policies = known["overrides"], known["policies"]
    no_answers: dict[str, float] = {}
    rows = []
    for (pk, cqc_id, name, provider, small, authority_id, authority, locality,
         service_type) in known["info"]:
        facts = rules.Facts(
            outbreak_status=outbreak_status.get(pk),
            # Services that make no return (e.g. day services) are not chased for one.
            has_return=pk in answers or service_type not in SERVICE_GROUP_OF_TYPE,
            answers=answers.get(pk, no_answers), small_provider=small,
            concerns=concerns.get(pk, []))
        computed, fired, score = rules.rate(facts, policies[authority_id])
        override = overrides.get(pk)
        rows.append({
            "location_id": pk, "cqc_location_id": cqc_id or "", "name": name,
            "provider": provider, "authority": authority, "authority_id": authority_id,
            "locality": locality or "No locality",
            "service_type": SERVICE_TYPE_LABELS.get(service_type, service_type),
            "rating": override.rating if override else computed,
            "computed_rating": computed, "score": score,
            "fired": fired,
            "override_reason": override.reason if override else "",
            "override_expires_on": override.expires_on if override else None,
            "saved": False,
        })
    return rows


def _saved_rows(logs: list[SavedLog]) -> list[dict]:
    fields = ["location_id", "location__cqc_location_id", "location__name",
              "location__provider__name", "location__authority__name",
              "location__authority_id", "location__locality__name", "location__service_type",
              "rating", "computed_rating", "score", "fired_text", "override_reason",
              "override_expires_on"]
    rows = []
    for (location_id, cqc_id, name, provider, authority, authority_id, locality, service_type,
         rating, computed, score, fired, override_reason, override_expires_on) in (
            # The reasons are read as text and decoded here: Django's JSON field converter
            # doubles the cost of a national log.
            SavedRating.objects.filter(log__in=logs).order_by()
            .annotate(fired_text=Cast("fired", TextField())).values_list(*fields)):
        rows.append({
            "location_id": location_id, "cqc_location_id": cqc_id or "", "name": name,
            "provider": provider, "authority": authority, "authority_id": authority_id,
            "locality": locality or "No locality",
            "service_type": SERVICE_TYPE_LABELS.get(service_type, service_type),
            "rating": rating, "computed_rating": computed, "score": score,
            "fired": json.loads(fired),
            "override_reason": override_reason, "override_expires_on": override_expires_on,
            "saved": True,
        })
    return rows


def sort_key(row: dict):
    return (RATING_ORDER[row["rating"]], -row["score"], row["locality"], row["name"])


def risk_log(*, user, as_of: dt.date, authority: str | None = None,
             use_saved: bool | None = None) -> list[dict]:
    """Every service's rating on `as_of`, red first.

    Where that day's log was saved, the saved ratings are given for a past day (the log as
    distributed) and, with `use_saved=True`, for today too; today's log is otherwise worked
    out afresh, so that what changed after saving shows.
    """
    if use_saved is None:
        use_saved = as_of < timezone.localdate()
    locations = rated_locations(user=user, as_of=as_of, authority=authority)
    logs = (list(SavedLog.objects.filter(authority_id__in=locations.values("authority_id"),
                                         as_of=as_of)) if use_saved else [])
    saved = _saved_rows(logs)  # whole authorities, all within the user's scope
    live = computed_ratings(
        locations.exclude(authority_id__in=[log.authority_id for log in logs]), as_of)
    return sorted(saved + live, key=sort_key)


def priorities(rows: list[dict], limit: int = 50) -> list[dict]:
    """Whom to support or test first: red and amber services, most reasons first."""
    return [row for row in rows if row["rating"] != Rating.GREEN][:limit]


def saved_logs(*, user, as_of: dt.date) -> list[SavedLog]:
    return list(SavedLog.objects.filter(
        as_of=as_of, authority_id__in=tenancy.authority_ids(user, Capability.VIEW_OUTBREAKS))
        .select_related("authority", "saved_by"))


def location_rating(*, location: Location, as_of: dt.date | None = None) -> dict:
    as_of = as_of or timezone.localdate()
    return computed_ratings(Location.objects.filter(pk=location.pk), as_of)[0]


def location_saved_ratings(*, location: Location) -> QuerySet[SavedRating]:
    return SavedRating.objects.filter(location=location).select_related("log").order_by(
        "-log__as_of")


def export_rows(rows: list[dict]) -> list[dict]:
    return [{**row, "reasons": "; ".join(f"{f['label']}: {f['why']}" for f in row["fired"])}
            for row in rows]


def risk_log_export(*, authority_codes: list[str], date_from: dt.date | None = None,
                    date_to: dt.date | None = None) -> tuple[list[dict], list[str], str]:
    """For `caresight export risk-log`: the log on `date_to` (default today)."""
    as_of = date_to or timezone.localdate()
    rows = []
    codes: list[str | None] = list(authority_codes) or [None]
    for code in codes:
        rows += risk_log(user=None, as_of=as_of, authority=code)
    return export_rows(rows), LOG_COLUMNS, "Risk log"
