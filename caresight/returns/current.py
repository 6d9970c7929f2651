"""The kept current state: each service's latest return (CurrentReturn), written in the same
transaction as the returns themselves, rebuilt and checked by `caresight current_returns`.

Every write of a return (a form, an import, the demo's load) calls `keep` with the IDs it
wrote. A kept row only moves forward: a return for an earlier day than the kept one never
replaces it, so two writers for one service, in either order, leave the latest.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.db.models import BooleanField, Case, OuterRef, Subquery, Value, When
from django.db.models.fields.json import KT
from django.utils import timezone

from caresight.core.db import ids_filters
from caresight.registry.models import Location

from .models import (
    KEPT_FLAGS,
    KEPT_NUMBERS,
    KEPT_TEXTS,
    STORED_TOTALS,
    CurrentReturn,
    Return,
    answer_number,
    answers_total,
)

_read_kept = ContextVar("read_kept", default=True)


def reads_kept(as_of: dt.date) -> bool:
    """Whether figures for `as_of` are read from the kept current state: for today (no
    return is for a later day, so each service's latest return is its current one)."""
    return _read_kept.get() and as_of >= timezone.localdate()


@contextmanager
def computed_from_returns() -> Iterator[None]:
    """Within this, today's figures are computed from the returns, as past days' are (for
    the tests that compare the two)."""
    token = _read_kept.set(False)
    try:
        yield
    finally:
        _read_kept.reset(token)


def _kept_expressions() -> dict:
    """CurrentReturn's columns but its keys, each as it is read from a return."""
    columns: dict = {name: answers_total(codes) for name, codes in STORED_TOTALS.items()}
    columns |= {code: answer_number(code) for code in KEPT_NUMBERS}
    # Yes/no answers are read as the text 'true' or 'false' on every database (as the
    # summaries read them), and kept as booleans.
    columns |= {code: Case(When(**{f"answer_{code}": "true"}, then=Value(True)),
                           When(**{f"answer_{code}": "false"}, then=Value(False)),
                           default=None, output_field=BooleanField()) for code in KEPT_FLAGS}
    columns |= {code: KT(f"values__{code}") for code in KEPT_TEXTS}
    return columns


KEPT_FIELDS = ["location_id", "ret_id", "for_date", *STORED_TOTALS, *KEPT_NUMBERS,
               *KEPT_FLAGS, *KEPT_TEXTS]


def _rows(returns):
    """The kept row (KEPT_FIELDS, in order) of each of these returns."""
    kept = _kept_expressions()
    return (returns.order_by()
            .alias(**{f"answer_{code}": KT(f"values__{code}") for code in KEPT_FLAGS})
            .annotate(**{f"kept_{name}": expression for name, expression in kept.items()})
            .values_list("location_id", "pk", "for_date", *(f"kept_{name}" for name in kept)))


def keep(return_ids: Iterable[int], days: Iterable[dt.date] | None = None) -> None:
    """Bring the kept current state up to date with these returns, just written (for `days`,
    when the writer knows them: on PostgreSQL the returns are partitioned by month, and an ID
    alone is looked for in every month's partition).

    Call inside the transaction that wrote them. One statement a batch, whatever the number.
    """
    ids = set(return_ids)
    if not ids:
        return
    returns = Return.objects.all()
    if days is not None:
        returns = returns.filter(for_date__in=sorted(set(days)))
    # One row a service: a statement may not upsert the same kept row twice.
    latest: dict[int, tuple[dt.date, int]] = {}
    for ids_q in ids_filters(Return, sorted(ids)):
        for pk, location_id, for_date in returns.filter(ids_q).values_list(
                "pk", "location_id", "for_date"):
            if location_id not in latest or latest[location_id] < (for_date, pk):
                latest[location_id] = (for_date, pk)
    for ids_q in ids_filters(Return, sorted(pk for _, pk in latest.values())):
        _upsert(returns.filter(ids_q))


def _upsert(returns) -> None:
    select, params = _rows(returns).query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(CurrentReturn._meta.db_table)
    columns = [qn(str(CurrentReturn._meta.get_field(name).column))  # type: ignore[union-attr]
               for name in KEPT_FIELDS]
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns[1:])
    # ORM-built SELECT and quoted names; every value is a parameter (B608). SQLite needs a
    # WHERE in an INSERT ... SELECT before ON CONFLICT, which the ORM's SELECT always has.
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) {select} "  # nosec B608
           f"ON CONFLICT (location_id) DO UPDATE SET {updates} "
           f"WHERE {table}.for_date <= excluded.for_date")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def latest_return_ids(locations=None) -> list[int]:
    """The ID of each service's latest return, found from the returns (one index probe a
    service)."""
    latest = (Return.objects.filter(location=OuterRef("pk")).order_by("-for_date")
              .values("pk")[:1])
    queryset = (locations if locations is not None else Location.objects.all())
    return [pk for pk in queryset.order_by().annotate(latest=Subquery(latest))
            .values_list("latest", flat=True) if pk is not None]


def rebuild() -> int:
    """Make the kept current state afresh from the returns; the number of services kept."""
    CurrentReturn.objects.all().delete()
    ids = latest_return_ids()
    keep(ids)
    return len(ids)


def differences(limit: int = 20) -> tuple[int, list[str]]:
    """Compare the kept current state with a fresh computation from the returns: the number
    of services that differ, and up to `limit` sentences saying how."""
    ids = latest_return_ids()
    fresh: dict[int, tuple] = {}
    for ids_q in ids_filters(Return, ids):
        fresh.update((row[0], row[1:]) for row in _rows(Return.objects.filter(ids_q)))
    kept = {row[0]: row[1:] for row in CurrentReturn.objects.values_list(*KEPT_FIELDS)}
    messages: list[str] = []
    count = 0
    for location_id in sorted(set(fresh) | set(kept)):
        want, have = fresh.get(location_id), kept.get(location_id)
        if want == have:
            continue
        count += 1
        if len(messages) >= limit:
            continue
        if have is None and want is not None:
            messages.append(f"Service {location_id}: its latest return ({want[0]}) is not kept")
        elif want is None and have is not None:
            messages.append(f"Service {location_id}: return {have[0]} is kept but the service "
                            "has no return")
        elif want is not None and have is not None:
            fields = [name for name, a, b in zip(KEPT_FIELDS[1:], want, have, strict=True)
                      if a != b]
            messages.append(f"Service {location_id}: kept {', '.join(fields)} differ from "
                            f"return {want[0]}")
    return count, messages
