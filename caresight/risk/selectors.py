"""Reads for the risk log: every service's rating on a day, why, and the saved logs.

A day's log for an authority is the saved one if it was saved (as distributed), else worked
out from the data as it stands: outbreaks, current returns, concerns and overrides on that day.
The ratings worked out are kept in the database by a service (`services.risk_logs_refresh`,
run after the data change), so that a log of any size is counted, put in order and read a page
at a time there. Reads never write: an authority whose kept log is out of date (its data
changed and the refresh has not run yet) is worked out here, in memory, with the same rules.
"""

import datetime as dt
import heapq
import json
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, Count, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.tenancy import Capability
from caresight.registry.models import NO_LOCALITY, Location, locality_label

from .models import RATING_ORDER, InputsVersion, Rating, SavedLog, SavedRating
from .rating import (  # noqa: F401  (read here by the views and tests too)
    SERVICE_TYPE_LABELS,
    collector_paused,
    computed_ratings,
    policies_for,
    policy_for,
    rated_locations,
)

# Red first, then the highest score, then by locality and name.
LOG_ORDER = (Case(*[When(rating=rating, then=Value(order))
                    for rating, order in RATING_ORDER.items()]),
             "-score", Coalesce("location__locality__name", Value(NO_LOCALITY)),
             "location__name", "location_id")
_ROW_FIELDS = ("location_id", "location__cqc_location_id", "location__name",
               "location__provider__name", "location__authority__name",
               "location__authority_id", "location__locality__name", "location__service_type",
               "rating", "computed_rating", "score", "fired_text", "override_reason",
               "override_expires_on", "log__kind")


def log_order_key(row: dict) -> tuple:
    """LOG_ORDER for rows worked out in memory."""
    return (RATING_ORDER[row["rating"]], -row["score"], row["locality"], row["name"],
            row["location_id"])


@dataclass(frozen=True)
class RiskLog:
    """A day's risk log in a user's scope: its kept ratings are counted and put in order in
    the database, and read a page at a time (`rows(limit=…)`) or whole. Ratings of authorities
    whose kept log is out of date are worked out in memory (`worked_out`) and merged in."""

    as_of: dt.date
    ratings: QuerySet[SavedRating]
    showing_saved: bool  # some of it is a log saved as distributed
    worked_out: list[dict] = field(default_factory=list)  # out of date in the database

    @property
    def current(self) -> bool:
        """Whether every rating was read from a log kept in the database."""
        return not self.worked_out

    def counts(self) -> dict[str, int]:
        found = Counter(dict(self.ratings.order_by().values_list("rating")
                             .annotate(n=Count("pk"))))
        found.update(row["rating"] for row in self.worked_out)
        return {rating: found.get(rating, 0) for rating in Rating.values}

    def rows(self, *, ratings: list[str] | None = None, limit: int | None = None) -> list[dict]:
        """The rows in order, red first, of the chosen ratings (default: all)."""
        queryset = self.ratings.filter(rating__in=ratings) if ratings else self.ratings
        queryset = queryset.order_by(*LOG_ORDER)
        if self.worked_out:
            with collector_paused():
                rows = _rows_of(queryset) + [row for row in self.worked_out
                                             if not ratings or row["rating"] in ratings]
            if limit is not None:  # a page: the first rows only, not all 25,000 in order
                return heapq.nsmallest(limit, rows, key=log_order_key)
            rows.sort(key=log_order_key)
            return rows
        if limit is not None:
            queryset = queryset[:limit]
        with collector_paused():
            return _rows_of(queryset)


def _rows_of(ratings: QuerySet[SavedRating]) -> list[dict]:
    rows = []
    for (location_id, cqc_id, name, provider, authority, authority_id, locality, service_type,
         rating, computed, score, fired, override_reason, override_expires_on, kind) in (
            # The reasons are read as text and decoded here: Django's JSON field converter
            # doubles the cost of a national log.
            ratings.annotate(fired_text=Cast("fired", TextField())).values_list(*_ROW_FIELDS)):
        rows.append({
            "location_id": location_id, "cqc_location_id": cqc_id or "", "name": name,
            "provider": provider, "authority": authority, "authority_id": authority_id,
            "locality": locality_label(locality),
            "service_type": SERVICE_TYPE_LABELS.get(service_type, service_type),
            "rating": rating, "computed_rating": computed, "score": score,
            "fired": json.loads(fired),
            "override_reason": override_reason, "override_expires_on": override_expires_on,
            "saved": kind == SavedLog.Kind.SAVED,
        })
    return rows


def risk_log(*, user, as_of: dt.date, authority: str | None = None,
             use_saved: bool | None = None,
             capability: Capability = Capability.VIEW_OUTBREAKS, authority_codes=()) -> RiskLog:
    """Every service's rating on `as_of` in the user's scope.

    Where that day's log was saved, the saved ratings are given for a past day (the log as
    distributed) and, with `use_saved=True`, for today too; today's log is otherwise the one
    worked out from the data as they stand, so that what changed after saving shows. That is
    read from the logs kept in the database where they are current; an authority whose data
    changed since its log was kept is worked out here instead, in memory, writing nothing.
    """
    if use_saved is None:
        use_saved = as_of < timezone.localdate()
    locations = rated_locations(user=user, as_of=as_of, authority=authority,
                                capability=capability, authority_codes=authority_codes)
    authority_ids = set(locations.order_by().values_list("authority_id", flat=True).distinct())
    saved = (dict(SavedLog.objects.filter(kind=SavedLog.Kind.SAVED, as_of=as_of,
                                          authority_id__in=authority_ids)
                  .values_list("authority_id", "pk")) if use_saved else {})
    kept = current_logs(authority_ids=authority_ids - saved.keys(), as_of=as_of)
    stale = authority_ids - saved.keys() - kept.keys()
    worked_out: list[dict] = []
    if stale:
        with collector_paused():
            worked_out = computed_ratings(locations.filter(authority_id__in=stale), as_of)
    ratings = SavedRating.objects.filter(log_id__in=[*saved.values(), *kept.values()])
    if user is not tenancy.OPERATOR:  # a scope may be narrower than whole authorities
        ratings = ratings.filter(location__in=locations)
    return RiskLog(as_of=as_of, ratings=ratings, showing_saved=bool(saved),
                   worked_out=worked_out)


def current_logs(*, authority_ids, as_of: dt.date) -> dict[int, int]:
    """authority ID -> its worked-out log for `as_of` kept in the database, where that is
    current: worked out at the count of changes its authority's data stand at now."""
    authority_ids = set(authority_ids)
    if not authority_ids:
        return {}
    # The counts are read first: a change committed meanwhile leaves a log at an older count,
    # which is then still shown, as it was current when the read began.
    versions = dict(InputsVersion.objects.filter(authority_id__in=authority_ids)
                    .values_list("authority_id", "version"))
    return {authority_id: pk for pk, authority_id, version in SavedLog.objects.filter(
        kind=SavedLog.Kind.WORKED_OUT, as_of=as_of, authority_id__in=authority_ids,
        inputs_version__isnull=False).values_list("pk", "authority_id", "inputs_version")
        if version == versions.get(authority_id, 0)}


PRIORITY_RATINGS: list[str] = [Rating.RED, Rating.AMBER]


def counts_by_authority(log: RiskLog) -> dict[int, dict[str, int]]:
    """authority ID -> the count of each rating in the log (the dashboard's by authority),
    counted in the database for the kept and saved ratings."""
    found: dict[int, Counter] = {}
    for authority_id, rating, n in (log.ratings.order_by()
                                    .values_list("location__authority_id", "rating")
                                    .annotate(n=Count("pk"))):
        found.setdefault(authority_id, Counter())[rating] += n
    for row in log.worked_out:
        found.setdefault(row["authority_id"], Counter())[row["rating"]] += 1
    return {authority_id: {rating: c.get(rating, 0) for rating in Rating.values}
            for authority_id, c in found.items()}


def priorities(log: RiskLog, limit: int | None = None) -> list[dict]:
    """Whom to support or test first: every red and amber service, red first, then the most
    weighing on it. No cut unless a caller asks for one (and then shows the count beside it)."""
    return log.rows(ratings=PRIORITY_RATINGS, limit=limit)


def saved_logs(*, user, as_of: dt.date) -> list[SavedLog]:
    return list(SavedLog.objects.filter(
        kind=SavedLog.Kind.SAVED, as_of=as_of,
        authority_id__in=tenancy.authority_ids(user, Capability.VIEW_OUTBREAKS))
        .select_related("authority", "saved_by"))


def location_rating(*, location: Location, as_of: dt.date | None = None) -> dict:
    as_of = as_of or timezone.localdate()
    return computed_ratings(Location.objects.filter(pk=location.pk), as_of)[0]


def ratings_of(*, user, location_ids, as_of: dt.date) -> dict[int, str]:
    """location ID -> its rating on `as_of` in the risk log `user` sees, for those services."""
    wanted = set(location_ids)
    authorities = list(Location.objects.filter(pk__in=wanted).values_list(
        "authority__ons_code", flat=True).distinct())
    log = risk_log(user=user, as_of=as_of, authority_codes=authorities)
    found = dict(log.ratings.filter(location_id__in=wanted).values_list("location_id", "rating"))
    found.update((row["location_id"], row["rating"]) for row in log.worked_out
                 if row["location_id"] in wanted)
    return found


def location_saved_ratings(*, location: Location) -> QuerySet[SavedRating]:
    return SavedRating.objects.filter(
        location=location, log__kind=SavedLog.Kind.SAVED).select_related("log").order_by(
        "-log__as_of")


def risk_log_rows(*, authority_codes: list[str], as_of: dt.date) -> list[dict]:
    """Every service's row on `as_of` in those authorities (none given: all), for the
    operator's `caresight export risk-log`."""
    rows = []
    codes: list[str | None] = list(authority_codes) or [None]
    for code in codes:
        rows += risk_log(user=tenancy.OPERATOR, as_of=as_of, authority=code).rows()
    return rows
