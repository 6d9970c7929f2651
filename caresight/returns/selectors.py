"""Reads for provider returns: the current return of each service on a day, completeness,
and the summaries of the seed reports. Always through the user's tenancy scope.

"Current" on a day means a service's latest return on or before that day, within its measure
set's expected window (default 7 days: models.RETURN_WINDOW_DAYS). Every figure says how many
services it is based on.
"""

import datetime as dt
import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import reduce
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.expressions import Expression
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from caresight.core import tenancy
from caresight.core.db import ids_filters, in_parallel
from caresight.core.tenancy import Capability
from caresight.registry.models import NO_LOCALITY, Location, ServiceType, locality_label
from caresight.registry.selectors import area_authority_ids, registered_on_q

from . import kept_totals
from .current import reads_kept
from .kept_totals import AuthorityTotals, add_into
from .models import (
    KEPT_FLAGS,
    KEPT_NUMBERS,
    KEPT_TEXTS,
    PPE_ITEMS,
    PPE_LOW_DAYS,
    RETURN_WINDOW_DAYS,
    SERVICE_GROUP_OF_TYPE,
    STORED_NUMBERS,
    STORED_TOTALS,
    CurrentReturn,
    Measure,
    MeasureSet,
    Return,
    ServiceGroup,
    answer_number,
    answers_total,
)

IPC_SECTION = "Infection prevention and control"
PPE_CODES = list(PPE_ITEMS)
CHUNK = 5000  # returns per aggregate query: within every database's parameter limit


def measure_set_for(*, service_type: str, as_of: dt.date) -> MeasureSet | None:
    """The newest measure set in use on `as_of` for this kind of service, if it has one."""
    group = SERVICE_GROUP_OF_TYPE.get(service_type)
    if group is None:
        return None
    return measure_set_in_use(group=group, as_of=as_of)


def measure_set_in_use(*, group: str, as_of: dt.date) -> MeasureSet | None:
    return (MeasureSet.objects.filter(service_group=group, in_use_from__lte=as_of)
            .order_by("-version").first())


def measure_list(*, measure_set: MeasureSet) -> QuerySet[Measure]:
    return measure_set.measures.order_by("position")


# --- Which services should have returned, and have they ----------------------------------


def expected_locations(*, user, as_of: dt.date, capability: Capability = Capability.VIEW_RECORDS,
                       authority: str | None = None, authority_codes=()) -> QuerySet[Location]:
    """Services that make returns and were registered on `as_of`, in the user's scope (of one
    area, `authority`, and/or of the authorities `authority_codes`, when given)."""
    queryset = Location.objects.filter(registered_on_q(as_of),
                                       service_type__in=list(SERVICE_GROUP_OF_TYPE))
    queryset = tenancy.in_scope(user, capability, queryset)
    if authority:
        queryset = queryset.filter(authority_id__in=area_authority_ids(authority))
    if authority_codes:
        queryset = queryset.filter(authority__ons_code__in=list(authority_codes))
    return queryset


def windows(as_of: dt.date) -> dict[str, int]:
    """Days a return stays current, per service group, from the measure sets in use (one
    query: the newest set of each group wins)."""
    found = dict.fromkeys(ServiceGroup.values, RETURN_WINDOW_DAYS)
    for group, days in (MeasureSet.objects.filter(in_use_from__lte=as_of)
                        .order_by("service_group", "version")
                        .values_list("service_group", "expected_every_days")):
        found[group] = days
    return found


class Current(NamedTuple):
    """A service expected to return on a day, and its current return (if any)."""

    location_id: int
    cqc_location_id: str | None
    locality_id: int | None
    service_type: str
    authority_id: int
    return_id: int | None


def kept_in_window_q(as_of: dt.date, days_of: dict[str, int] | None = None) -> Q:
    """Services whose kept latest return is current on `as_of` (within their window;
    `days_of` the windows, if already read)."""
    return reduce(operator.or_, [
        Q(service_type__in=[t for t, g in SERVICE_GROUP_OF_TYPE.items() if g == group],
          kept_return__for_date__lte=as_of,
          kept_return__for_date__gt=as_of - dt.timedelta(days=days))
        for group, days in (days_of or windows(as_of)).items()])


def current_returns(locations: QuerySet[Location], as_of: dt.date) -> list[Current]:
    """Each service's current return on `as_of` (None where it has not returned in time)."""
    if reads_kept(as_of):
        rows = (locations.filter(service_type__in=list(SERVICE_GROUP_OF_TYPE)).order_by()
                .annotate(current=Case(When(kept_in_window_q(as_of),
                                            then=F("kept_return__ret_id"))))
                .values_list("pk", "cqc_location_id", "locality_id", "service_type",
                             "authority_id", "current"))
        return list(map(Current._make, rows))
    found: list[Current] = []
    for group, days in windows(as_of).items():
        types = [t for t, g in SERVICE_GROUP_OF_TYPE.items() if g == group]
        latest = (Return.objects.filter(location=OuterRef("pk"), for_date__lte=as_of,
                                        for_date__gt=as_of - dt.timedelta(days=days))
                  .order_by("-for_date").values("pk")[:1])
        rows = (locations.filter(service_type__in=types).order_by()
                .annotate(current=Subquery(latest))
                .values_list("pk", "cqc_location_id", "locality_id", "service_type",
                             "authority_id", "current"))
        found += map(Current._make, rows)
    return found


def current_numbers(locations: QuerySet[Location], as_of: dt.date, codes: list[str],
                    totals: dict[str, list[str]] | None = None) -> dict[int, dict[str, float]]:
    """Chosen numeric answers of each service's current return on `as_of`, as floats, and
    `totals` (name -> codes added up, unanswered as 0). Services without a current return are
    absent, and so are unanswered questions.
    """
    names = [*codes, *(totals or {})]
    answers: dict[int, dict[str, float]] = {}
    for location_id, numbers in current_number_rows(locations, as_of, codes, totals).items():
        answers[location_id] = {name: value for name, value in zip(names, numbers, strict=True)
                                if value is not None}
    return answers


def current_number_rows(locations: QuerySet[Location], as_of: dt.date, codes: list[str],
                        totals: dict[str, list[str]] | None = None
                        ) -> dict[int, tuple[float | None, ...]]:
    """current_numbers as a tuple for each service, in the order of `codes` and then
    `totals`, None where unanswered: for reads of every service in the country, where a dict
    for each would cost more than reading the numbers.

    Answers and totals that Return keeps in columns of their own (STORED_NUMBERS and
    STORED_TOTALS) are read from those; the rest from the JSON. For today, where every
    number asked is kept, they are read from the kept current state. Otherwise, on
    PostgreSQL one statement finds each service's current return and reads its numbers (a
    LATERAL join; with only stored numbers asked for, from the index alone); elsewhere the
    current returns are found first and their numbers read by ID. The suite checks all three
    give the same.
    """
    numbers = _numbers_asked(codes, totals or {})
    kept = {*KEPT_NUMBERS, *STORED_TOTALS}
    if reads_kept(as_of) and all(
            number.name in kept and (not number.total or number.column) for number in numbers):
        return {row[0]: row[1:] for row in locations.filter(kept_in_window_q(as_of)).order_by()
                .values_list("pk", *(f"kept_return__{number.name}" for number in numbers))}
    if connection.vendor == "postgresql":
        return _current_numbers_lateral(locations, as_of, numbers)
    ids = [c.return_id for c in current_returns(locations, as_of) if c.return_id is not None]
    columns = {f"m_{n}": F(number.column) if number.column else
               answers_total(number.codes) if number.total else answer_number(number.codes[0])
               for n, number in enumerate(numbers)}
    found: dict[int, tuple[float | None, ...]] = {}
    for ids_q in ids_filters(Return, ids):
        found.update((row[0], row[1:]) for row in Return.objects.filter(ids_q).order_by()
                     .annotate(**columns).values_list("location_id", *columns))
    return found


class _Number(NamedTuple):
    """A number asked of current_numbers, and where it is read from."""

    name: str
    column: str | None  # Return's column that keeps it, if one does; else from the JSON:
    codes: list[str]  # the answer (or the answers added up, for a total)
    total: bool


def _numbers_asked(codes: list[str], totals: dict[str, list[str]]) -> list[_Number]:
    return [
        *[_Number(code, code if code in STORED_NUMBERS else None, [code], False)
          for code in codes],
        *[_Number(name, name if STORED_TOTALS.get(name) == group else None, group, True)
          for name, group in totals.items()],
    ]


def _current_numbers_lateral(locations: QuerySet[Location], as_of: dt.date,
                             numbers: list[_Number]) -> dict[int, tuple[float | None, ...]]:
    qn = connection.ops.quote_name

    def answer(code: str) -> str:
        if not code.isidentifier():  # measure codes are written into the statement
            raise ValueError(f"{code!r} is not a measure code")
        return f"(c.\"values\" ->> '{code}')::double precision"

    columns = [
        f"c.{qn(number.column)}" if number.column else
        "(" + " + ".join(f"COALESCE({answer(code)}, 0)" for code in number.codes) + ")"
        if number.total else answer(number.codes[0])
        for number in numbers]
    # Each service type's window: its current return is from after this day.
    after = {group: as_of - dt.timedelta(days=days) for group, days in windows(as_of).items()}
    cases = [(service_type, after[group]) for service_type, group in SERVICE_GROUP_OF_TYPE.items()]
    services, services_params = (locations.filter(service_type__in=list(SERVICE_GROUP_OF_TYPE))
                                 .order_by().values_list("pk", "service_type")
                                 .query.sql_with_params())
    # One probe of the index per service. Only the numbers are read in the LATERAL: where they
    # are all stored columns, the index that finds the current return holds them too (an
    # index-only scan). ORM-built SQL and quoted names; every value is a parameter (B608).
    sql = ("SELECT l.id, r.* FROM (" + services + ") AS l (id, service_type) "  # nosec B608
           "CROSS JOIN LATERAL (SELECT "
           + ", ".join(f"{column} AS n{n}" for n, column in enumerate(columns))
           + f" FROM {qn(Return._meta.db_table)} c WHERE c.location_id = l.id "
           "AND c.for_date <= %s AND c.for_date > CASE l.service_type "
           + " ".join("WHEN %s THEN %s::date" for _ in cases) + " END "
           "ORDER BY c.for_date DESC LIMIT 1) r")
    params = [*services_params, as_of, *(value for case in cases for value in case)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: row[1:] for row in cursor.fetchall()}


def last_return_dates(location_ids: list[int], as_of: dt.date) -> dict[int, dt.date]:
    """The day of each service's latest return on or before `as_of`, ever."""
    dates: dict[int, dt.date] = {}
    for start in range(0, len(location_ids), CHUNK):
        dates.update(
            Return.objects.filter(location_id__in=location_ids[start:start + CHUNK],
                                  for_date__lte=as_of)
            .values("location_id").annotate(latest=Max("for_date")).values_list(
                "location_id", "latest")
        )
    return dates


def chase_list(*, user, as_of: dt.date, authority: str | None = None) -> list[dict]:
    """Services that have not returned within their window on `as_of`, with who to chase."""
    locations = expected_locations(user=user, as_of=as_of, authority=authority)
    missing = [c.location_id for c in current_returns(locations, as_of) if c.return_id is None]
    last = last_return_dates(missing, as_of)
    rows = []
    queryset = Location.objects.select_related("provider", "authority", "locality")
    for start in range(0, len(missing), CHUNK):
        for loc in queryset.filter(pk__in=missing[start:start + CHUNK]):
            rows.append({
                "location_id": loc.pk,
                "cqc_location_id": loc.cqc_location_id or "",
                "name": loc.name,
                "authority": loc.authority.name,
                "locality": loc.locality_label,
                "service_type": loc.get_service_type_display(),
                "last_return": last.get(loc.pk),
                "manager": loc.manager_name,
                "phone": loc.phone or loc.provider.phone,
                "email": loc.email or loc.provider.email,
                "provider": loc.provider.name,
                "provider_contact": loc.provider.contact_name,
            })
    rows.sort(key=lambda r: (r["locality"], r["name"]))
    return rows


def completion_over_time(*, user, as_of: dt.date, authority: str | None = None,
                         weeks: int = 12) -> list[dict]:
    """The share of services with a current return, on `as_of` and each week before it."""
    points = []
    for back in range(weeks - 1, -1, -1):
        day = as_of - dt.timedelta(weeks=back)
        current = current_returns(
            expected_locations(user=user, as_of=day, authority=authority), day)
        reported = sum(1 for c in current if c.return_id is not None)
        points.append({"date": day, "locations": len(current), "reported": reported,
                       "completion_rate": _pct(reported, len(current))})
    return points


# --- Summaries ------------------------------------------------------------------------------

# Figures that add numbers up over the returns that answered every number in the figure, so
# that a rate never divides one set of services' staff by another set's.
FIGURES: dict[str, tuple[str, list[str]]] = {
    "beds": (ServiceGroup.CARE_HOME, ["beds_registered", "beds_occupied", "beds_vacant"]),
    "beds_vacant_accepting": (ServiceGroup.CARE_HOME, ["beds_vacant_accepting"]),
    "residents_covid": (ServiceGroup.CARE_HOME,
                        ["beds_occupied", "residents_covid_confirmed"]),
    "absence_nurses": (ServiceGroup.CARE_HOME,
                       ["nurses_employed", "nurses_absent_covid", "nurses_absent_other"]),
    "absence_care_workers": (ServiceGroup.CARE_HOME, [
        "care_workers_employed", "care_workers_absent_covid", "care_workers_absent_other"]),
    "absence_non_care_staff": (ServiceGroup.CARE_HOME, [
        "non_care_staff_employed", "non_care_staff_absent_covid",
        "non_care_staff_absent_other"]),
    "absence_community": (ServiceGroup.COMMUNITY, ["care_workers_employed",
                                                   "care_workers_absent"]),
    "vaccination_care_home_staff": (ServiceGroup.CARE_HOME, [
        "nurses_employed", "care_workers_employed", "non_care_staff_employed",
        "staff_flu_vaccinated", "staff_covid_vaccinated"]),
    "vaccination_residents": (ServiceGroup.CARE_HOME, [
        "beds_occupied", "residents_flu_vaccinated", "residents_covid_vaccinated"]),
    "vaccination_community_staff": (ServiceGroup.COMMUNITY, [
        "care_workers_employed", "staff_flu_vaccinated", "staff_covid_vaccinated"]),
    "vaccination_people_supported": (ServiceGroup.COMMUNITY, [
        "people_supported", "people_flu_vaccinated", "people_covid_vaccinated"]),
    "people_supported": (ServiceGroup.COMMUNITY, ["people_supported", "people_covid_confirmed"]),
}
ABSENCE = [
    ("absence_nurses", "Care home nurses", "nurses"),
    ("absence_care_workers", "Care home care workers", "care_workers"),
    ("absence_non_care_staff", "Care home non-care staff", "non_care_staff"),
]
VACCINATION = [
    ("vaccination_care_home_staff", "Care home staff",
     ["nurses_employed", "care_workers_employed", "non_care_staff_employed"]),
    ("vaccination_residents", "Care home residents", ["beds_occupied"]),
    ("vaccination_community_staff", "Home care staff", ["care_workers_employed"]),
    ("vaccination_people_supported", "People supported at home", ["people_supported"]),
]
VISITING_CODE = "visiting_status"


class _Aggregates:
    """The sums and counts of a summary, as SQL over one row per current return.

    Each answer a summary needs is read out of the JSON once per return, in a derived table;
    the sums and counts are then plain SQL over those columns. (Written as Django filtered
    aggregates, every aggregate re-read the JSON: ~130 reads a return, 3 times slower.)
    """

    def __init__(self, ipc_codes: list[str], visiting: list[str], *, full: bool):
        self.numbers: set[str] = set()
        self.flags: set[str] = set(ipc_codes)
        self.texts: set[str] = set()
        self.select: list[tuple[str, str, list]] = [("n", "COUNT(*)", [])]
        for code in ipc_codes:
            self._count(f"yes__{code}", f"{self._col(code)} = 'true'")
            self._count(f"answered__{code}", f"{self._col(code)} IS NOT NULL")
        if not full:
            return
        for key, (_, codes) in FIGURES.items():
            self.numbers.update(codes)
            answered = " AND ".join(f"{self._col(c)} IS NOT NULL" for c in codes)
            self._count(f"n__{key}", answered)
            for code in codes:
                self.select.append((f"sum__{key}__{code}",
                                    f"SUM(CASE WHEN {answered} THEN {self._col(code)} END)", []))
        self.numbers.update(PPE_CODES)
        self._count("answered__ppe", " OR ".join(f"{self._col(c)} IS NOT NULL"
                                                 for c in PPE_CODES))
        self._count("low__ppe", " OR ".join(f"{self._col(c)} < {PPE_LOW_DAYS}"
                                            for c in PPE_CODES))
        for code in PPE_CODES:
            self._count(f"low__{code}", f"{self._col(code)} < {PPE_LOW_DAYS}")
        self.flags.add("admissions_open")
        self._count("answered__admissions", f"{self._col('admissions_open')} IS NOT NULL")
        self._count("closed__admissions", f"{self._col('admissions_open')} = 'false'")
        self.texts.add(VISITING_CODE)
        self._count("answered__visiting", f"{self._col(VISITING_CODE)} IS NOT NULL")
        for choice in visiting:
            self.select.append((f"visiting__{choice}",
                                f"COUNT(CASE WHEN {self._col(VISITING_CODE)} = %s THEN 1 END)",
                                [choice]))

    @staticmethod
    def _col(code: str) -> str:
        return connection.ops.quote_name(f"m_{code}")

    def all_kept(self) -> bool:
        """Whether every answer these figures read is kept in the current state."""
        return (self.numbers | self.flags | self.texts) <= {*KEPT_NUMBERS, *KEPT_FLAGS,
                                                          *KEPT_TEXTS}

    def keys(self) -> list[str]:
        """The names of the totals by_group_current adds up."""
        return [key for key, _, _ in self.select] + ["expected"]

    def _count(self, key: str, condition: str) -> None:
        self.select.append((key, f"COUNT(CASE WHEN {condition} THEN 1 END)", []))

    def by_group(self, return_ids: list[int], days: tuple[dt.date, dt.date]
                 ) -> dict[tuple, dict]:
        """Totals per (authority, locality, service type) over these returns, made after the
        first of `days` and by the second (on PostgreSQL that keeps the look-ups by ID to
        those months' partitions)."""
        totals: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        after, until = days
        for ids in ids_filters(Return, return_ids):
            columns: dict[str, Expression] = {
                f"m_{c}": Cast(KT(f"values__{c}"), IntegerField()) for c in self.numbers}
            # Yes/no answers are read as the text 'true' or 'false' on every database.
            columns |= {f"m_{c}": KT(f"values__{c}") for c in self.flags | self.texts}
            inner = (Return.objects.filter(ids, for_date__gt=after, for_date__lte=until)
                     .order_by()
                     .values(authority=F("location__authority_id"),
                             locality=F("location__locality_id"),
                             service_type=F("location__service_type"), **columns))
            inner_sql, inner_params = inner.query.sql_with_params()
            # OFFSET 0 keeps the derived table from being merged into the outer query, which
            # would put the JSON reads back into every aggregate.
            self._add_up(totals, f"({inner_sql} "
                         f"{'LIMIT -1 ' if connection.vendor == 'sqlite' else ''}OFFSET 0)",
                         list(inner_params))
        return totals

    def by_group_current(self, locations: QuerySet[Location], as_of: dt.date, *, kept: bool
                         ) -> dict[int, AuthorityTotals]:
        """Each authority's totals in one statement over every service expected to return
        on `as_of`, also counting them and naming those that have not returned: each
        service's current return read from the kept current state (`kept`: for today), else
        found through the returns' index (a LATERAL join: PostgreSQL)."""
        qn = connection.ops.quote_name
        days_of = windows(as_of)
        after = {group: as_of - dt.timedelta(days=days) for group, days in days_of.items()}
        window = "CASE l.l_type " + " ".join("WHEN %s THEN %s" for _ in SERVICE_GROUP_OF_TYPE) \
            + " END"
        window_params = [value for service_type, group in SERVICE_GROUP_OF_TYPE.items()
                         for value in (service_type, after[group])]
        try:
            services, services_params = (locations.order_by()
                                         .values(l_id=F("pk"), l_authority=F("authority_id"),
                                                 l_locality=F("locality_id"),
                                                 l_type=F("service_type"),
                                                 l_cqc=F("cqc_location_id"))
                                         .query.sql_with_params())
        except EmptyResultSet:  # no service in scope at all
            return {}
        column_params: list = []
        if kept:
            columns = [f"CAST(c.{qn(code)} AS INTEGER) AS {self._col(code)}"
                       for code in self.numbers]
            columns += [f"CASE WHEN c.{qn(code)} THEN 'true' WHEN NOT c.{qn(code)} THEN 'false' "
                        f"END AS {self._col(code)}" for code in self.flags]
            columns += [f"c.{qn(code)} AS {self._col(code)}" for code in self.texts]
            source = (f"LEFT JOIN {qn(CurrentReturn._meta.db_table)} c "
                      f"ON c.location_id = l.l_id AND c.for_date <= %s AND c.for_date > {window}")
            source_params = [as_of, *window_params]
            current_id = "c.ret_id"
        else:
            # Read as by_group reads them: numbers cast from the JSON text, yes/no answers as
            # the text 'true' or 'false'.
            numbers, texts = sorted(self.numbers), sorted(self.flags | self.texts)
            columns = [f"CAST(c.v ->> %s AS INTEGER) AS {self._col(code)}" for code in numbers]
            columns += [f"c.v ->> %s AS {self._col(code)}" for code in texts]
            column_params = [*numbers, *texts]
            # The first lower bound is the longest window's: it keeps the look-ups to those
            # months' partitions; the second is the service's own.
            source = (f"LEFT JOIN LATERAL (SELECT r.{qn('id')} AS id, "  # nosec B608
                      f"r.{qn('values')} AS v "
                      f"FROM {qn(Return._meta.db_table)} r WHERE r.location_id = l.l_id "
                      "AND r.for_date <= %s AND r.for_date > %s "
                      f"AND r.for_date > {window} ORDER BY r.for_date DESC LIMIT 1) c ON true")
            source_params = [as_of, min(after.values()), *window_params]
            current_id = "c.id"
        # ORM-built SQL and quoted names; every value is a parameter (B608). OFFSET 0, as in
        # by_group, keeps each answer read once a service rather than once an aggregate.
        selected = ["l.l_authority AS authority", "l.l_locality AS locality",
                    "l.l_type AS service_type", "l.l_id AS l_id", "l.l_cqc AS l_cqc",
                    f"{current_id} AS current_id", *columns]
        inner = (f"(SELECT {', '.join(selected)} FROM ({services}) AS l {source} "  # nosec B608
                 f"{'LIMIT -1 ' if connection.vendor == 'sqlite' else ''}OFFSET 0)")
        totals: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        missing = self._add_up(totals, inner,
                               [*column_params, *services_params, *source_params],
                               everyone=True)
        return _by_authority(totals.items(), missing, self.keys())

    def _add_up(self, totals: dict[tuple, dict], inner: str, params: list, *,
                everyone: bool = False) -> dict[int, list[tuple[int, str | None]]]:
        """Add the select's sums and counts, grouped by (authority, locality, service type),
        over a derived table of m_ columns (with `everyone`, a row for every service
        expected: current_id NULL where it has no current return; "n" counts those that
        have, "expected" all, and those that have not are returned, by authority, as (ID,
        CQC location ID))."""
        select = [(key, "COUNT(current_id)" if everyone and key == "n" else sql, ps)
                  for key, sql, ps in self.select]
        if everyone:
            select.append(("expected", "COUNT(*)", []))
        columns = ", ".join(f"{sql} AS {connection.ops.quote_name(key)}"
                            for key, sql, _ in select)
        if everyone:
            pair = ("json_build_array(l_id, l_cqc)" if connection.vendor == "postgresql"
                    else "json_array(l_id, l_cqc)")
            gather = "json_agg" if connection.vendor == "postgresql" else "json_group_array"
            columns += f", {gather}({pair}) FILTER (WHERE current_id IS NULL) AS missing"
        # ORM-built SQL and quoted names; every value is a parameter (B608).
        sql = (f"SELECT authority, locality, service_type, {columns} "  # nosec B608
               f"FROM {inner} AS t GROUP BY authority, locality, service_type")
        missing: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(sql, [p for _, _, ps in select for p in ps] + params)
            names = [c[0] for c in cursor.description][3:len(select) + 3]
            for row in cursor.fetchall():
                values = row[3:len(select) + 3]
                if everyone:
                    not_returned = row[-1]
                    if isinstance(not_returned, str):  # SQLite: JSON text
                        not_returned = json.loads(not_returned)
                    missing[row[0]] += [(location_id, cqc_id)
                                        for location_id, cqc_id in not_returned or []]
                group = totals[(row[0], row[1], row[2])]
                for key, value in zip(names, values, strict=True):
                    group[key] += value or 0
        return missing


class _Counted(NamedTuple):
    """The services a summary is over: how many, how many returned, and those that did not
    (ID, CQC location ID)."""

    expected: int
    reported: int
    missing: list[tuple[int, str | None]]




def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _add(rows: list[dict]) -> dict:
    total: dict = defaultdict(int)
    for row in rows:
        for key, value in row.items():
            total[key] += value
    return total


def _figure(totals: dict, key: str) -> dict:
    codes = FIGURES[key][1]
    out = {code: totals.get(f"sum__{key}__{code}", 0) for code in codes}
    out["based_on"] = totals.get(f"n__{key}", 0)
    return out


def _questions_on(day: dt.date) -> tuple[list[Measure], Measure | None]:
    """The care homes' yes/no infection control measures and their visiting measure, in the
    measure set in use on `day`."""
    care_home_set = measure_set_in_use(group=ServiceGroup.CARE_HOME, as_of=day)
    measures = list(care_home_set.measures.filter(
        Q(section=IPC_SECTION, kind=Measure.Kind.YES_NO) | Q(code=VISITING_CODE))
        .order_by("position")) if care_home_set else []
    ipc = [m for m in measures if m.section == IPC_SECTION and m.kind == Measure.Kind.YES_NO]
    return ipc, next((m for m in measures if m.code == VISITING_CODE), None)


def _full_figures(ipc: list[Measure], visiting_measure: Measure | None) -> _Aggregates:
    visiting = [value for value, _ in visiting_measure.choices] if visiting_measure else []
    return _Aggregates([m.code for m in ipc], visiting, full=True)


def _totals_computed(locations: QuerySet[Location], day: dt.date, aggregates: _Aggregates
                     ) -> dict[int, AuthorityTotals]:
    """Each authority's totals on `day` over these services, worked out from their returns."""
    if reads_kept(day) and aggregates.all_kept():
        return aggregates.by_group_current(locations, day, kept=True)
    if connection.vendor == "postgresql":
        return aggregates.by_group_current(locations, day, kept=False)
    current = current_returns(locations, day)
    window = dt.timedelta(days=max(windows(day).values()))
    sums = aggregates.by_group([c.return_id for c in current if c.return_id is not None],
                               (day - window, day))
    groups: dict[tuple, dict] = {}
    missing: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for c in current:
        key = (c.authority_id, c.locality_id, c.service_type)
        group = groups.setdefault(key, dict(sums.get(key, {"n": 0})))
        group["expected"] = group.get("expected", 0) + 1
        if c.return_id is None:
            missing[c.authority_id].append((c.location_id, c.cqc_location_id))
    return _by_authority(groups.items(), missing, aggregates.keys())


# The totals of each locality's care homes a summary shows (its beds).
LOCALITY_TOTALS = ["n", "n__beds", *(f"sum__beds__{code}" for code in FIGURES["beds"][1])]


def _by_authority(groups: Iterable[tuple[tuple, dict]],
                  missing: dict[int, list[tuple[int, str | None]]], keys: list[str]
                  ) -> dict[int, AuthorityTotals]:
    """AuthorityTotals (of `keys`) from totals by (authority, locality, service type), and
    the services that had not returned by authority."""
    by_type: dict[int, dict[str, dict[str, int]]] = defaultdict(dict)
    by_locality: dict[int, dict[tuple, list[int]]] = defaultdict(dict)
    for (authority_id, locality_id, service_type), group in groups:
        add_into(by_type[authority_id].setdefault(service_type, {}), group)
        if group.get("n") and SERVICE_GROUP_OF_TYPE[service_type] == ServiceGroup.CARE_HOME:
            by_locality[authority_id][(locality_id, service_type)] = [
                group.get(key, 0) for key in LOCALITY_TOTALS]
    return {authority_id: AuthorityTotals(
        keys, {service_type: [totals.get(key, 0) for key in keys]
               for service_type, totals in by_type[authority_id].items()},
        by_locality[authority_id], list(missing.get(authority_id, [])))
        for authority_id in by_type.keys() | missing.keys()}


def authority_totals(authority_ids: Iterable[int], day: dt.date) -> dict[int, AuthorityTotals]:
    """These authorities' totals on `day`, worked out from their returns as they are kept."""
    from caresight.core.tenancy import OPERATOR

    locations = expected_locations(user=OPERATOR, as_of=day).filter(
        authority_id__in=sorted(authority_ids))
    return _totals_computed(locations, day, _full_figures(*_questions_on(day)))


def _whole_authorities(scope: tenancy.Scope, authority: str | None, authority_codes
                       ) -> set[int] | None:
    """The authorities a summary is over, where it is over each of them whole (not a
    provider user's own services): None otherwise."""
    from caresight.registry.models import Authority

    if scope.provider_grants or not kept_totals.in_use():
        return None
    ids = set(scope.authority_ids)
    if authority:
        ids &= set(area_authority_ids(authority))
    if authority_codes:
        ids &= set(Authority.objects.filter(ons_code__in=list(authority_codes))
                   .values_list("pk", flat=True))
    return ids


def _totals_on(locations: Callable[[], QuerySet[Location]], day: dt.date,
               aggregates: Callable[[], _Aggregates], whole: set[int] | None
               ) -> dict[int, AuthorityTotals]:
    """Each authority's totals on `day`: kept ones where the summary is over whole
    authorities (`whole`), worked out (and kept) for the rest, over the `locations()`.
    `aggregates()` must be the full figures of the measure sets in use on `day`, as the
    kept totals are."""
    if whole is None:
        return _totals_computed(locations(), day, aggregates())
    measure_sets = kept_totals.measure_sets_on(day)
    found = kept_totals.kept(whole, day, measure_sets)
    todo = whole - found.keys()
    if todo:
        before = kept_totals.versions(todo)
        computed = _totals_computed(locations().filter(authority_id__in=sorted(todo)), day,
                                    aggregates())
        computed |= {a: kept_totals.NONE for a in todo - computed.keys()}
        kept_totals.keep(day, measure_sets, computed, before)
        found |= computed
    return found


class _AddedUp(NamedTuple):
    counted: "_Counted"
    by_type: dict[str, dict[str, int]]  # totals by service type (of those with a return)
    by_locality: dict[tuple, dict[str, int]]  # care homes' beds by (locality, service type)


def _column_sums(rows: list[list[int]], at: list[int] | None = None) -> list[int]:
    """The sum of each column of these rows (of the columns `at`, when given)."""
    columns = list(zip(*rows, strict=True))
    return [sum(columns[c]) for c in (range(len(columns)) if at is None else at)]


def _added_up(by_authority: dict[int, AuthorityTotals], wanted: list[str] | None = None
              ) -> _AddedUp:
    """These authorities' totals added up (only those named `wanted`, when given), a column
    at a time."""
    keys = next((totals.keys for totals in by_authority.values() if totals.keys), [])
    n_at, expected_at = (keys.index("n"), keys.index("expected")) if keys else (0, 0)
    rows_by_type: dict[str, list[list[int]]] = defaultdict(list)
    rows_by_locality: dict[tuple, list[list[int]]] = defaultdict(list)
    expected = reported = 0
    missing: list[tuple[int, str | None]] = []
    for totals in by_authority.values():
        missing += totals.missing
        for service_type, values in totals.by_type.items():
            if totals.keys != keys:  # worked out for other questions: in these keys' order
                by_name = dict(zip(totals.keys, values, strict=True))
                values = [by_name.get(key, 0) for key in keys]
            expected += values[expected_at]
            reported += values[n_at]
            if values[n_at]:
                rows_by_type[service_type].append(values)
        for key, values in totals.by_locality.items():
            rows_by_locality[key].append(values)
    named = keys if wanted is None or not keys else wanted
    at = [keys.index(key) for key in named]
    by_type = {service_type: dict(zip(named, _column_sums(rows, at), strict=True))
               for service_type, rows in rows_by_type.items()}
    by_locality = {key: dict(zip(LOCALITY_TOTALS, _column_sums(rows), strict=True))
                   for key, rows in rows_by_locality.items()}
    return _AddedUp(_Counted(expected, reported, sorted(missing)), by_type, by_locality)


def returns_summary(*, user, as_of: dt.date, previous: dt.date | None = None,
                    authority: str | None = None, authority_codes=()) -> dict:
    """The authority (or wider) summary of the seed reports, from current returns on `as_of`.

    Aggregates over every service in the user's scope (VIEW_AGGREGATES); `not_reported` names
    only services whose records the user may see. Over whole authorities, each authority's
    totals for the day are kept once worked out (kept_totals).
    """
    ipc, visiting_measure = _questions_on(as_of)
    ipc_codes = [m.code for m in ipc]
    aggregate_scope = tenancy.scope(user, Capability.VIEW_AGGREGATES)
    whole = _whole_authorities(aggregate_scope, authority, authority_codes)

    def locations_on(day: dt.date) -> QuerySet[Location]:
        return expected_locations(
            user=user, as_of=day, authority=authority, authority_codes=authority_codes,
            capability=Capability.VIEW_AGGREGATES)

    def on_the_day() -> _AddedUp:
        return _added_up(_totals_on(lambda: locations_on(as_of), as_of,
                                    lambda: _full_figures(ipc, visiting_measure), whole))

    def on_previous_day() -> dict:
        if previous is None:
            return {}
        wanted = [f"{kind}__{code}" for code in ipc_codes for kind in ("yes", "answered")]
        if whole is not None:
            kept = _totals_on(lambda: locations_on(previous), previous,
                              lambda: _full_figures(*_questions_on(previous)), whole)
            if all(key in totals.keys for totals in kept.values() if totals.by_type
                   for key in wanted):
                return _add(list(_added_up(kept, wanted).by_type.values()))
        # Not kept, or kept for other questions than today's.
        return _add(list(_added_up(_totals_computed(
            locations_on(previous), previous, _Aggregates(ipc_codes, [], full=False))
        ).by_type.values()))

    # The previous day is worked out beside the day itself only over the whole country, where
    # both are long: for one area, or for days whose totals are all kept, opening the second
    # connection costs more than it saves.
    national = (aggregate_scope.everywhere and not authority and not authority_codes
                and not (whole is not None and previous is not None
                         and kept_totals.all_kept(whole, [as_of, previous])))
    added, before = (in_parallel(on_the_day, on_previous_day) if previous and national
                     else (on_the_day(), on_previous_day()))
    counted = added.counted
    care_homes = _add([totals for service_type, totals in added.by_type.items()
                       if SERVICE_GROUP_OF_TYPE[service_type] == ServiceGroup.CARE_HOME])
    community = _add([totals for service_type, totals in added.by_type.items()
                      if SERVICE_GROUP_OF_TYPE[service_type] == ServiceGroup.COMMUNITY])
    everyone = _add(list(added.by_type.values()))

    missing_ids = {location_id for location_id, _ in counted.missing}
    visible = tenancy.scope(user, Capability.VIEW_RECORDS) if missing_ids else aggregate_scope
    if not visible.everywhere:
        missing_ids = set(Location.objects.filter(visible.location_q(), pk__in=missing_ids)
                          .values_list("pk", flat=True)) if missing_ids else set()
    beds = _figure(care_homes, "beds")
    return {
        "as_of": as_of.isoformat(),
        "previous": previous.isoformat() if previous else None,
        "authority": authority.upper() if authority else None,
        "locations": counted.expected,
        "reported": counted.reported,
        "not_reported": sorted(cqc_id or f"location {location_id}"
                               for location_id, cqc_id in counted.missing
                               if location_id in missing_ids),
        "completion_rate": _pct(counted.reported, counted.expected),
        "beds": {
            "registered": beds["beds_registered"], "occupied": beds["beds_occupied"],
            "vacant": beds["beds_vacant"],
            "vacant_accepting": _figure(care_homes, "beds_vacant_accepting")[
                "beds_vacant_accepting"],
            "based_on": beds["based_on"],
        },
        "measures": [
            {"code": m.code, "label": m.label,
             "current_pct": _pct(everyone.get(f"yes__{m.code}", 0),
                                 everyone.get(f"answered__{m.code}", 0)),
             "previous_pct": _pct(before.get(f"yes__{m.code}", 0),
                                  before.get(f"answered__{m.code}", 0)) if before else None,
             "based_on": everyone.get(f"answered__{m.code}", 0),
             "previous_based_on": before.get(f"answered__{m.code}", 0) if before else None}
            for m in ipc
        ],
        "beds_by_locality": _beds_by_locality(added.by_locality),
        "absence": _absence(care_homes, community),
        "ppe_under_7_days": {
            "locations": everyone.get("low__ppe", 0),
            "based_on": everyone.get("answered__ppe", 0),
            "by_item": {code.removeprefix("ppe_days_").replace("_", " "):
                        everyone.get(f"low__{code}", 0)
                        for code in PPE_CODES},
        },
        "admissions_closed": {"locations": care_homes.get("closed__admissions", 0),
                              "based_on": care_homes.get("answered__admissions", 0)},
        "visiting": {
            "based_on": care_homes.get("answered__visiting", 0),
            "statuses": [{"status": value, "label": label,
                          "locations": care_homes.get(f"visiting__{value}", 0)}
                         for value, label in (visiting_measure.choices if visiting_measure
                                              else [])],
        },
        "vaccination": _vaccination(care_homes, community),
        "people_supported": _figure(community, "people_supported"),
    }


def _beds_by_locality(by_group: dict[tuple, dict]) -> list[dict]:
    from caresight.registry.models import Locality

    names = dict(Locality.objects.filter(pk__in={loc for loc, _ in by_group if loc})
                 .values_list("pk", "name"))
    types = dict(ServiceType.choices)
    rows = []
    for (locality_id, service_type), totals in by_group.items():
        if SERVICE_GROUP_OF_TYPE[service_type] != ServiceGroup.CARE_HOME:
            continue
        beds = _figure(totals, "beds")
        rows.append({"locality": locality_label(names.get(locality_id)),
                     "service_type": types.get(service_type, service_type),
                     "registered": beds["beds_registered"], "occupied": beds["beds_occupied"],
                     "vacant": beds["beds_vacant"], "based_on": beds["based_on"]})
    return sorted(rows, key=lambda r: (r["locality"] == NO_LOCALITY, r["locality"],
                                       r["service_type"]))


def _absence(care_homes: dict, community: dict) -> list[dict]:
    rows = []
    for key, label, prefix in ABSENCE:
        figure = _figure(care_homes, key)
        employed = figure[f"{prefix}_employed"]
        absent = figure[f"{prefix}_absent_covid"] + figure[f"{prefix}_absent_other"]
        rows.append({"group": label, "employed": employed,
                     "absent_covid": figure[f"{prefix}_absent_covid"],
                     "absent_other": figure[f"{prefix}_absent_other"],
                     "absence_rate": _pct(absent, employed), "based_on": figure["based_on"]})
    figure = _figure(community, "absence_community")
    rows.append({"group": "Home care workers", "employed": figure["care_workers_employed"],
                 "absent_covid": None, "absent_other": None,
                 "absence_rate": _pct(figure["care_workers_absent"],
                                      figure["care_workers_employed"]),
                 "based_on": figure["based_on"]})
    return rows


def _vaccination(care_homes: dict, community: dict) -> list[dict]:
    rows = []
    for key, label, denominators in VACCINATION:
        group = care_homes if FIGURES[key][0] == ServiceGroup.CARE_HOME else community
        figure = _figure(group, key)
        people = sum(figure[code] for code in denominators)
        flu, covid = [figure[c] for c in FIGURES[key][1][len(denominators):]]
        rows.append({"group": label, "people": people, "flu": flu, "covid": covid,
                     "flu_rate": _pct(flu, people), "covid_rate": _pct(covid, people),
                     "based_on": figure["based_on"]})
    return rows


# --- One service's returns ------------------------------------------------------------------


def return_list(*, user, location: Location | None = None, date_from: dt.date | None = None,
                date_to: dt.date | None = None, authority: str | None = None,
                capability: Capability = Capability.VIEW_RECORDS) -> QuerySet[Return]:
    """Returns the user may see, newest first."""
    queryset = Return.objects.select_related("location", "location__authority", "measure_set",
                                             "submitted_by")
    queryset = tenancy.in_scope(user, capability, queryset)
    if location is not None:
        queryset = queryset.filter(location=location)
    if date_from:
        queryset = queryset.filter(for_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(for_date__lte=date_to)
    if authority:
        queryset = queryset.filter(location__authority_id__in=area_authority_ids(authority))
    return queryset.order_by("-for_date", "location__name")


def latest_returns(*, user, as_of: dt.date, authority: str | None = None) -> QuerySet[Return]:
    """Each visible service's current return on `as_of`."""
    current = current_returns(expected_locations(user=user, as_of=as_of, authority=authority),
                              as_of)
    ids = [c.return_id for c in current if c.return_id is not None]
    return return_list(user=user).filter(pk__in=ids)


def submittable_locations(*, user) -> QuerySet[Location]:
    """Services the user may submit returns for, with the day of their latest return."""
    return tenancy.in_scope(
        user, Capability.SUBMIT_RETURNS,
        Location.objects.filter(service_type__in=list(SERVICE_GROUP_OF_TYPE))
        .select_related("authority", "provider"),
    ).annotate(last_return=Max("returns__for_date")).order_by("name")


TIMELINE_MEASURES = {
    ServiceGroup.CARE_HOME: ["beds_occupied", "beds_vacant", "residents_covid_confirmed",
                             "residents_covid_suspected", "care_workers_absent_covid"],
    ServiceGroup.COMMUNITY: ["people_supported", "people_covid_confirmed", "care_workers_absent"],
}


def location_timeline(*, location: Location, as_of: dt.date, days: int = 90) -> dict:
    """A service's returns over the `days` up to `as_of`: chart series and table rows."""
    group = SERVICE_GROUP_OF_TYPE.get(location.service_type)
    codes = TIMELINE_MEASURES[ServiceGroup(group)] if group else []
    measure_set = measure_set_in_use(group=group, as_of=as_of) if group else None
    labels = dict(measure_set.measures.values_list("code", "label")) if measure_set else {}
    returns = list(Return.objects.filter(
        location=location, for_date__lte=as_of, for_date__gt=as_of - dt.timedelta(days=days))
        .order_by("for_date"))
    return {
        "columns": [(code, labels.get(code, code)) for code in codes],
        "rows": [{"date": r.for_date, "pk": r.pk, "version": r.version,
                  "source": r.get_source_display(),
                  "values": [r.values.get(code) for code in codes]} for r in returns],
    }


def measure_list_every() -> QuerySet[Measure]:
    """Every measure of every set, in the order a set asks them."""
    return Measure.objects.order_by("measure_set__service_group", "position")


def return_export(*, authority_codes: list[str], date_from: dt.date | None = None,
                  date_to: dt.date | None = None) -> QuerySet[Return]:
    """Every return (in these authorities and dates) for `caresight export returns`."""
    queryset = return_list(user=tenancy.OPERATOR, date_from=date_from, date_to=date_to)
    if authority_codes:
        queryset = queryset.filter(location__authority__ons_code__in=authority_codes)
    return queryset


# --- The dashboard's figures ------------------------------------------------------------------


def dashboard_counts(*, user, as_of: dt.date, authority_codes=(),
                     capability: Capability = Capability.VIEW_RECORDS) -> dict[int, dict]:
    """authority ID -> the returns figures of the dashboard on `as_of`, counted in the database:
    services expected to return (`expected`) and those with a current return (`reported`);
    services short of any PPE item (`ppe_low`, fewer than PPE_LOW_DAYS days) among those that
    answered about PPE (`ppe_answered`); vacant care home beds (`beds_vacant`) over the care
    homes that answered it (`beds_answered`). Over the services where the user holds
    `capability` (VIEW_AGGREGATES for viewers of aggregates), in `authority_codes` if given.

    A few aggregate statements, never a loop over services: each service's current return is
    found by the index the risk log uses, then counted. On PostgreSQL one statement (a LATERAL
    join, as current_number_rows uses); elsewhere two a service group.
    """
    locations = expected_locations(user=user, as_of=as_of, capability=capability)
    if authority_codes:
        locations = locations.filter(authority__ons_code__in=list(authority_codes))
    if reads_kept(as_of):
        return _dashboard_counts_kept(locations, as_of)
    if connection.vendor == "postgresql":
        return _dashboard_counts_lateral(locations, as_of)
    figures: dict[int, dict] = defaultdict(lambda: dict.fromkeys(DASHBOARD_FIGURES, 0))
    for authority_id, expected in (locations.order_by().values("authority_id")
                                   .annotate(n=Count("pk")).values_list("authority_id", "n")):
        figures[authority_id]["expected"] = expected
    beds = answer_number("beds_vacant")
    low = reduce(operator.or_, [Q(**{f"{code}__lt": PPE_LOW_DAYS}) for code in PPE_CODES])
    answered = reduce(operator.or_, [Q(**{f"{code}__isnull": False}) for code in PPE_CODES])
    for group, days in windows(as_of).items():
        types = [t for t, g in SERVICE_GROUP_OF_TYPE.items() if g == group]
        latest = (Return.objects.filter(location=OuterRef("pk"), for_date__lte=as_of,
                                        for_date__gt=as_of - dt.timedelta(days=days))
                  .order_by("-for_date").values("pk")[:1])
        current = (locations.filter(service_type__in=types).order_by()
                   .annotate(current=Subquery(latest)).filter(current__isnull=False)
                   .values("current"))
        rows = (Return.objects.filter(pk__in=current).order_by()
                .values("location__authority_id")
                .annotate(reported=Count("pk"), ppe_low=Count("pk", filter=low),
                          ppe_answered=Count("pk", filter=answered),
                          beds_vacant=Sum(beds), beds_answered=Count(beds))
                .values_list("location__authority_id", "reported", "ppe_low", "ppe_answered",
                             "beds_vacant", "beds_answered"))
        for authority_id, reported, ppe_low, ppe_answered, vacant, beds_answered in rows:
            figure = figures[authority_id]
            figure["reported"] += reported
            figure["ppe_low"] += ppe_low
            figure["ppe_answered"] += ppe_answered
            figure["beds_vacant"] += round(vacant or 0)
            figure["beds_answered"] += beds_answered
    return dict(figures)


DASHBOARD_FIGURES = ("expected", "reported", "ppe_low", "ppe_answered", "beds_vacant",
                     "beds_answered")


def _dashboard_counts_kept(locations: QuerySet[Location], as_of: dt.date) -> dict[int, dict]:
    in_window = kept_in_window_q(as_of)
    low = in_window & reduce(operator.or_, [
        Q(**{f"kept_return__{code}__lt": PPE_LOW_DAYS}) for code in PPE_CODES])
    answered = in_window & reduce(operator.or_, [
        Q(**{f"kept_return__{code}__isnull": False}) for code in PPE_CODES])
    rows = (locations.order_by().values("authority_id").annotate(
        expected=Count("pk"), reported=Count("pk", filter=in_window),
        ppe_low=Count("pk", filter=low), ppe_answered=Count("pk", filter=answered),
        beds_vacant=Sum("kept_return__beds_vacant", filter=in_window),
        beds_answered=Count("kept_return__beds_vacant", filter=in_window))
        .values_list("authority_id", *DASHBOARD_FIGURES))
    return {row[0]: dict(zip(DASHBOARD_FIGURES, [*row[1:5], round(row[5] or 0), row[6]],
                             strict=True)) for row in rows}


def _dashboard_counts_lateral(locations: QuerySet[Location], as_of: dt.date) -> dict[int, dict]:
    qn = connection.ops.quote_name
    ppe = [f"r.{qn(code)}" for code in PPE_CODES]
    after = {group: as_of - dt.timedelta(days=days) for group, days in windows(as_of).items()}
    cases = [(service_type, after[group]) for service_type, group in SERVICE_GROUP_OF_TYPE.items()]
    services, services_params = (locations.order_by().values_list("pk", "service_type",
                                                                  "authority_id")
                                 .query.sql_with_params())
    # ORM-built SQL, quoted names and the PPE codes (identifiers); every value is a
    # parameter (B608).
    sql = ("SELECT l.authority_id, COUNT(*), COUNT(r.id), "  # nosec B608
           f"COUNT(CASE WHEN {' OR '.join(f'{c} < %s' for c in ppe)} THEN 1 END), "
           f"COUNT(CASE WHEN {' OR '.join(f'{c} IS NOT NULL' for c in ppe)} THEN 1 END), "
           "SUM(r.beds_vacant), COUNT(r.beds_vacant) "
           f"FROM ({services}) AS l (id, service_type, authority_id) "
           f"LEFT JOIN LATERAL (SELECT c.id, {', '.join(f'c.{qn(code)}' for code in PPE_CODES)}, "
           "(c.\"values\" ->> 'beds_vacant')::double precision AS beds_vacant "
           f"FROM {qn(Return._meta.db_table)} c WHERE c.location_id = l.id "
           "AND c.for_date <= %s AND c.for_date > CASE l.service_type "
           + " ".join("WHEN %s THEN %s::date" for _ in cases) + " END "
           "ORDER BY c.for_date DESC LIMIT 1) r ON true GROUP BY l.authority_id")
    params = [*([PPE_LOW_DAYS] * len(ppe)), *services_params, as_of,
              *(value for case in cases for value in case)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: dict(zip(DASHBOARD_FIGURES, [*row[1:5], round(row[5] or 0), row[6]],
                                 strict=True)) for row in cursor.fetchall()}


def provider_returns_due(*, user, as_of: dt.date) -> dict:
    """For a provider's staff: their services that owe a return on `as_of` — `due` (none for
    that day yet), `overdue` (no current return: none within the window) — of `services`."""
    locations = tenancy.in_scope(user, Capability.SUBMIT_RETURNS, Location).filter(
        registered_on_q(as_of), service_type__in=list(SERVICE_GROUP_OF_TYPE))
    services = locations.count()
    due = locations.exclude(pk__in=Return.objects.filter(for_date=as_of).values(
        "location_id")).count()
    overdue = sum(1 for c in current_returns(locations, as_of) if c.return_id is None)
    return {"services": services, "due": due, "overdue": overdue}
