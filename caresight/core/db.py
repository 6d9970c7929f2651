"""Database plumbing that depends on which database is in use (kept small and tested)."""

import contextvars
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

A = TypeVar("A")
B = TypeVar("B")


def in_parallel(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Run two independent reads at once: on PostgreSQL, over two connections (two cores).
    (Each may keep what it worked out, as a summary keeps its totals, on its own connection.)

    Inside a transaction (a test, an atomic request) another connection would not see its
    writes, and SQLite gains nothing, so there they run one after the other.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return first(), second()

    def second_then_close() -> B:
        try:
            return second()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=1) as pool:
        # In this request's context, so that the second read goes where the first does (a page
        # that reads from the replica, below).
        later = pool.submit(contextvars.copy_context().run, second_then_close)
        return first(), later.result()


IDS_A_STATEMENT = 5000  # IDs a statement names outside PostgreSQL: within SQLite's limits


def ids_filters(model, ids, field: str = "pk") -> Iterator[Q]:
    """Filters for the rows of `model` whose `field` (a column of its own table: a number, or
    text such as a CQC location ID) is one of `ids`: one filter on PostgreSQL, a single array
    written as text (psycopg would inspect every element of a list, and a list of thousands
    costs more to plan than to read); elsewhere one filter a batch of IDs. Nothing when `ids`
    is empty."""
    ids = list(ids)
    if not ids:
        return
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        column_field = model._meta.pk if field == "pk" else model._meta.get_field(field)
        if column_field.get_internal_type() in ("CharField", "TextField"):
            array, kind = _text_array(ids), "text[]"
        else:
            array, kind = "{" + ",".join(str(int(i)) for i in ids) + "}", "bigint[]"
        # Quoted names from the model's metadata; the IDs are a parameter (B611).
        yield Q(RawSQL(
            f"{qn(model._meta.db_table)}.{qn(column_field.column)} = ANY(%s::{kind})",  # nosec B611
            (array,), output_field=BooleanField()))
        return
    for start in range(0, len(ids), IDS_A_STATEMENT):
        yield Q(**{f"{field}__in": ids[start:start + IDS_A_STATEMENT]})


def _text_array(values) -> str:
    """PostgreSQL's text form of an array of these strings, each quoted (so that commas,
    braces, quotes and backslashes in a file's cell stay inside their element)."""
    def quoted(value: str) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(quoted(v) for v in values) + "}"


def insert_new(model, fields: list[str], rows: list[tuple], *, batch_size: int = 900) -> None:
    """Insert new rows, each a tuple of the values of `fields` (plain Python values: JSON
    fields as lists or dicts), where nothing reads them back as objects.

    On PostgreSQL by COPY: for tens of thousands of rows (a national risk log) Django's
    `bulk_create` spends most of its time on making objects and quoting their values into
    its statement (3.5 s for 25,000 ratings, against a fraction of a second by COPY).
    Elsewhere by `bulk_create`.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**dict(zip(fields, row, strict=True)))
                                            for row in rows], batch_size=batch_size)
        return
    columns = [model._meta.get_field(name) for name in fields]
    as_json = [i for i, field in enumerate(columns) if field.get_internal_type() == "JSONField"]
    qn = connection.ops.quote_name
    sql = (f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in columns)}) "
           "FROM STDIN")
    # The raw cursor's errors are psycopg's own: turned into Django's (IntegrityError…), as
    # on every other path, so that callers can catch them.
    with connection.wrap_database_errors, connection.cursor() as cursor, \
            cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = list(row)
            for i in as_json:
                values[i] = None if values[i] is None else json.dumps(values[i])
            copy.write_row(values)


# --- The read replica --------------------------------------------------------------------------
# With DATABASE_REPLICA_URL set (config/settings/base.py), the "replica" alias is a read-only
# copy of the default database (a managed PostgreSQL's standby). Only reads that say so go
# there: the dashboards' and reports' read-only pages (`@replica_reads()` on their views), which
# may show what the primary held a moment ago. Everything else, and every write, uses
# "default". docs/deployment.md says how to run one.

REPLICA = "replica"


class _ReplicaReads:
    """One `replica_reads()` block: whether it has written yet."""

    __slots__ = ("written",)

    def __init__(self) -> None:
        self.written = False


_replica_reads: contextvars.ContextVar[_ReplicaReads | None] = contextvars.ContextVar(
    "caresight_replica_reads", default=None)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send this block's reads to the read replica, where there is one (a view decorator too).

    Use it only where being a moment behind is acceptable: read-only pages and downloads.
    Writes always go to the default database, and so do the reads inside a transaction on it
    and every read after the block's first write (what runs after a commit, such as its
    on-commit work, must see that write, which the replica may not have yet).
    """
    token = _replica_reads.set(_replica_reads.get() or _ReplicaReads())
    try:
        yield
    finally:
        _replica_reads.reset(token)


def has_replica() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """The database router (DATABASE_ROUTERS): reads inside `replica_reads()` from the replica,
    everything else from and to the default database."""

    def db_for_read(self, model, **hints) -> str:
        block = _replica_reads.get()
        if (block is not None and not block.written and has_replica()
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return REPLICA
        # Not None: Django would then read an object's relations from the database the object
        # came from, so an object read from the replica would keep reading from it.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        block = _replica_reads.get()
        if block is not None:
            block.written = True
        # Not None, for the same reason: an object read from the replica is saved to default.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database and its copy

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db != REPLICA  # the replica has its schema from the primary
