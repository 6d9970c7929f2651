"""Set-based writes for the CQC import: many rows and their history in a few statements.

On PostgreSQL new rows go by COPY straight into the table (their primary keys taken from its
sequence first, so that the history and the locations can name them), and changed rows by
COPY into a temporary staging table and from there by one UPDATE … FROM. On SQLite the same
rows go by `executemany` of plain INSERT and UPDATE statements. Either way each row is then
copied, as written, into its history table inside the database (django-simple-history's rows,
with when, why, "+" or "~" and who, as `core.audit`'s bulk helpers write them: on PostgreSQL
one INSERT … SELECT for them all) and `history_written` is sent. Django's
`bulk_create` and `bulk_update` spent most of a national import's time building and quoting
their statements.

Only for records whose values have been checked (`full_clean` or its equivalent): nothing here
validates, and the database's constraints are the last word.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from caresight.core.audit import history_written

HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")
BATCH = 900  # keys per statement on SQLite, within its parameter limit


def columns(model: type[models.Model]) -> list[str]:
    """The attribute names of the model's columns, in table order."""
    return [f.attname for f in model._meta.concrete_fields]


def insert(model: type[models.Model], objs: Sequence[models.Model], *, user,
           reason: str) -> None:
    """Insert new records (primary keys unset; each is set) and a "+" history row for each."""
    if not objs:
        return
    now = timezone.now()
    auto_now = [f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    for obj, pk in zip(objs, _new_pks(model, len(objs)), strict=True):
        obj.pk = pk
        for name in auto_now:
            setattr(obj, name, now)
    names = columns(model)
    _write(model, model._meta.db_table, names, _rows(model, names, objs))
    pks = [obj.pk for obj in objs]
    with connection.cursor() as cursor:
        _snapshot(cursor, model, pks, _stamp(now, reason, "+", user))
    history_written.send(sender=model, pks=pks)


def update(model: type[models.Model], objs: Sequence[models.Model], fields: list[str], *,
           user, reason: str) -> None:
    """Write these fields (attribute names) of existing records, and `updated_at` if the
    model has one, then a "~" history row for each: the row as it is after the update."""
    if not objs:
        return
    now = timezone.now()
    if any(f.attname == "updated_at" for f in model._meta.concrete_fields):
        for obj in objs:
            obj.updated_at = now  # type: ignore[attr-defined]
        fields = [*fields, "updated_at"]
    pk = model._meta.pk.attname
    rows = _rows(model, [pk, *fields], objs)
    table = model._meta.db_table
    qn = connection.ops.quote_name
    pk_col = qn(str(model._meta.pk.column))
    cols = [qn(_column(model, name)) for name in fields]
    pks = [row[0] for row in rows]
    # Names from the models' metadata, quoted; every value is a parameter (the nosecs: B608).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stage = qn(f"{table}_stage")
            cursor.execute(f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "  # nosec B608
                           f"SELECT {pk_col}, {', '.join(cols)} FROM {qn(table)} WITH NO DATA")
            _write(model, f"{table}_stage", [pk, *fields], rows)
            assignments = ", ".join(f"{c} = s.{c}" for c in cols)
            cursor.execute(f"UPDATE {qn(table)} AS t SET {assignments} "  # nosec B608
                           f"FROM {stage} AS s WHERE t.{pk_col} = s.{pk_col}")
            cursor.execute(f"DROP TABLE {stage}")
        else:
            assignments = ", ".join(f"{c} = %s" for c in cols)
            cursor.executemany(f"UPDATE {qn(table)} SET {assignments} "  # nosec B608
                               f"WHERE {pk_col} = %s", [[*row[1:], row[0]] for row in rows])
        _snapshot(cursor, model, pks, _stamp(now, reason, "~", user))
    history_written.send(sender=model, pks=pks)


def _snapshot(cursor, model: type[models.Model], pks: list, stamp: list) -> None:
    """Copy the rows, as they are now, into the history table, with the stamp's when, why,
    type and who (as `core.audit` does for its bulk helpers): in one statement on PostgreSQL."""
    qn = connection.ops.quote_name
    history = model.history.model  # type: ignore[attr-defined]
    copied = ", ".join(qn(str(f.column)) for f in model._meta.concrete_fields)
    # Names from the models' metadata, quoted; every value is a parameter (B608).
    sql = (f"INSERT INTO {qn(history._meta.db_table)} "  # nosec B608
           f"({copied}, {', '.join(qn(c) for c in HISTORY_COLUMNS)}) "
           f"SELECT {copied}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
           f"WHERE {qn(str(model._meta.pk.column))} ")
    if connection.vendor == "postgresql":
        cursor.execute(sql + "= ANY(%s)", [*stamp, pks])
        return
    for start in range(0, len(pks), BATCH):
        chunk = pks[start:start + BATCH]
        cursor.execute(sql + f"IN ({', '.join(['%s'] * len(chunk))})", [*stamp, *chunk])


def _column(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "column"))  # noqa: B009 (a concrete field)


def _new_pks(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys that no row has had, for this transaction's inserts."""
    table, pk = model._meta.db_table, str(model._meta.pk.column)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)", [qn(table), pk, count])
            return [value for (value,) in cursor.fetchall()]
        # SQLite: Django's tables are AUTOINCREMENT, so a key once used (even by a row since
        # deleted) is never given again; the transaction holds the database's write lock.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        cursor.execute(f"SELECT MAX({qn(pk)}) FROM {qn(table)}")  # nosec B608 (model names)
        start = max(found[0] if found else 0, cursor.fetchone()[0] or 0) + 1
    return list(range(start, start + count))


def _stamp(when, reason: str, history_type: str, user) -> list:
    if connection.vendor != "postgresql":
        when = connection.ops.adapt_datetimefield_value(when)
    return [when, reason[:100] or None, history_type, getattr(user, "pk", None)]


def _rows(model: type[models.Model], names: list[str], objs: Sequence[models.Model]
          ) -> list[list]:
    """Each record's values of these columns as the database takes them: JSON as text and,
    on SQLite, date-times as Django writes them there."""
    prepare: dict[int, Callable[[Any], Any]] = {}
    for i, name in enumerate(names):
        kind = model._meta.get_field(name).get_internal_type()
        if kind == "JSONField":
            prepare[i] = json.dumps
        elif kind == "DateTimeField" and connection.vendor != "postgresql":
            prepare[i] = connection.ops.adapt_datetimefield_value
    rows = []
    for obj in objs:
        row = [getattr(obj, name) for name in names]
        for i, prep in prepare.items():
            if row[i] is not None:
                row[i] = prep(row[i])
        rows.append(row)
    return rows


def _write(model: type[models.Model], table: str, names: list[str], rows: list[list],
           extra: Sequence[str] = ()) -> None:
    """Insert `rows` (values of the model's columns `names`, then of `extra`) into `table`."""
    qn = connection.ops.quote_name
    cols = [_column(model, n) for n in names] + list(extra)
    column_list = ", ".join(qn(c) for c in cols)
    # The raw cursor's errors are psycopg's own: turned into Django's (IntegrityError…), as on
    # every other path.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(cols))
            cursor.executemany(f"INSERT INTO {qn(table)} ({column_list}) "  # nosec B608
                               f"VALUES ({marks})", rows)
