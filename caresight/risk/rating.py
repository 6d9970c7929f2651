"""Working out ratings: every service's rating on a day from the data as it stands.

Pure reading, shared by the selectors (which show a log) and the services (which keep one):
neither imports the other, both import this.
"""

import datetime as dt
import gc
from collections import defaultdict
from contextlib import contextmanager

from django.db.models import Q, QuerySet
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.db import in_parallel
from caresight.core.tenancy import Capability
from caresight.outbreaks.models import Status
from caresight.outbreaks.selectors import outbreak_list, statuses_on
from caresight.registry.models import Location, ServiceType, locality_label
from caresight.registry.selectors import area_authority_ids, registered_on_q
from caresight.returns.models import SERVICE_GROUP_OF_TYPE
from caresight.returns.selectors import current_number_rows

from . import rules
from .models import Concern, Override, Policy

SERVICE_TYPE_LABELS = dict(ServiceType.choices)


def rated_locations(*, user, as_of: dt.date, authority: str | None = None,
                    capability: Capability = Capability.VIEW_OUTBREAKS,
                    authority_codes=()) -> QuerySet[Location]:
    """The services on the log: registered on `as_of`, where the user holds `capability` (of
    one area, `authority`, and/or of the authorities `authority_codes`, when given)."""
    queryset = Location.objects.filter(registered_on_q(as_of))
    queryset = tenancy.in_scope(user, capability, queryset)
    if authority:
        queryset = queryset.filter(authority_id__in=area_authority_ids(authority))
    if authority_codes:
        queryset = queryset.filter(authority__ons_code__in=list(authority_codes))
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
    """The services, their outbreaks' statuses, open concerns, overrides and rules on a day.

    The outbreaks, concerns and overrides are those of every service, to be looked up by the
    services': the few hundred open on a day cost less to read than to match to the services
    in the database (a scan of the register each), even for one council's log.
    """
    info = list(locations.order_by().values_list(*INFO_FIELDS))
    if not info:
        return {"info": info, "outbreak_status": {}, "concerns": {}, "overrides": {},
                "policies": {}}
    outbreaks = outbreak_list(user=tenancy.OPERATOR).filter(reported_on__lte=as_of).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))
    status_by_outbreak = statuses_on(outbreaks, as_of)
    outbreak_status = {}
    for outbreak_id, location_id in outbreaks.values_list("pk", "location_id"):
        status = status_by_outbreak.get(outbreak_id)
        if status in (Status.LIVE, Status.DE_ESCALATION):
            outbreak_status[location_id] = status
    concerns = defaultdict(list)
    for location_id, summary in (Concern.objects.filter(raised_on__lte=as_of)
                                 .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))
                                 .order_by("raised_on").values_list("location_id", "summary")):
        concerns[location_id].append(summary)
    overrides: dict[int, Override] = {}
    for found in (Override.objects.filter(starts_on__lte=as_of, expires_on__gte=as_of)
                  .order_by("starts_on", "created_at")):
        overrides[found.location_id] = found  # the latest one applies
    return {"info": info, "outbreak_status": outbreak_status, "concerns": concerns,
            "overrides": overrides,
            "policies": policies_for({row[5] for row in info}, as_of)}


def computed_ratings(locations: QuerySet[Location], as_of: dt.date) -> list[dict]:
    """Work out every service's rating on `as_of` from the data as it stands (in no order).

    The current returns' numbers and everything else are read side by side (two connections
    on PostgreSQL), and while the numbers are still being read the rows are made, ready for
    their ratings. The numbers are read on this thread's connection: they
    touch an index page per service, which a new connection (the other thread's) would first
    have to map into its memory (about 100 ms nationally).
    """
    numbers, (rows, to_rate) = in_parallel(
        lambda: current_number_rows(locations, as_of, rules.MEASURES, rules.TOTALS),
        lambda: _rows_to_rate(locations, as_of))
    _rate(to_rate, numbers)
    return rows


# A row to rate, its service, its authority's rules, and the service's facts but its numbers:
# outbreak status, whether it is chased for a return, small provider, open concerns.
_ToRate = tuple[dict, int, rules.Rater, str | None, bool, bool, list[str] | None]


def _rows_to_rate(locations: QuerySet[Location], as_of: dt.date
                  ) -> tuple[list[dict], list[_ToRate]]:
    """A row for each service with all but its rating, and what rates it but the current
    return's numbers."""
    known = _facts_besides_returns(locations, as_of)
    outbreak_status, concerns, overrides = (known["outbreak_status"], known["concerns"],
                                            known["overrides"])
    raters: dict[int, rules.Rater] = {}  # one for each policy (most authorities: the default)
    rate = {authority_id: raters.get(id(policy)) or raters.setdefault(id(policy), policy.rater())
            for authority_id, policy in known["policies"].items()}
    labels = SERVICE_TYPE_LABELS
    rows = []
    facts = {}
    for (pk, cqc_id, name, provider, small, authority_id, authority, locality,
         service_type) in known["info"]:
        override = overrides.get(pk)
        rows.append({
            "location_id": pk, "cqc_location_id": cqc_id or "", "name": name,
            "provider": provider, "authority": authority, "authority_id": authority_id,
            "locality": locality_label(locality),
            "service_type": labels.get(service_type, service_type),
            "rating": None if override is None else override.rating,  # None: the rules'
            "computed_rating": None, "score": 0, "fired": None,
            "override_reason": "" if override is None else override.reason,
            "override_expires_on": None if override is None else override.expires_on,
            "saved": False,
        })
        # Services that make no return (e.g. day services) are not chased for one.
        facts[pk] = (rate[authority_id], outbreak_status.get(pk),
                     service_type in SERVICE_GROUP_OF_TYPE, small, concerns.get(pk))
    return rows, [(row, row["location_id"], *facts[row["location_id"]]) for row in rows]


def _rate(to_rate: list[_ToRate], numbers: dict[int, tuple[float | None, ...]]) -> None:
    """Rate every service and complete its row: in plain dicts and tuples, as it runs
    25,000 times for a national log."""
    for row, pk, rate, outbreak_status, chased, small, concerns in to_rate:
        current = numbers.get(pk)
        computed, fired, score = rate(outbreak_status, current is not None or not chased,
                                      current, small, concerns)
        if row["rating"] is None:
            row["rating"] = computed
        row["computed_rating"], row["score"], row["fired"] = computed, score, fired


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while a log is made, as imports do (run_import).

    A national log makes a few hundred thousand small objects (rows, reasons, the rows read)
    that all live until it is returned; the collector would scan them, and everything else
    alive, again and again: a third of the time of the rules and rows. Afterwards what is
    left is put straight into the oldest generation, where only full collections scan it:
    re-enabled as it was, the collector would first scan the log's 50,000 rows and lists as
    new (~50 ms nationally), though they hold no cycles and are freed with the log. (Not if
    anything is frozen already: unfreezing would undo a server's own gc.freeze().)
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
