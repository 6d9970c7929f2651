"""Database plumbing that depends on which database is in use (kept small and tested)."""

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, connections

A = TypeVar("A")
B = TypeVar("B")


def in_parallel(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Run two independent reads at once: on PostgreSQL, over two connections (two cores).

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
        later = pool.submit(second_then_close)
        return first(), later.result()


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
