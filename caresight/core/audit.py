"""Every write keeps who, when and what changed (django-simple-history).

In a web request the user comes from the request (HistoryRequestMiddleware); elsewhere (the
command line, background jobs) services pass the acting user explicitly through these helpers.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection, models
from django.dispatch import Signal, receiver
from django.utils import timezone
from simple_history.signals import post_create_historical_record

from caresight.core.db import ids_filters
from caresight.core.tenancy import actor
from caresight.core.timeutils import long_date

M = TypeVar("M", bound=models.Model)

# Sent inside the write's transaction whenever rows are written with their history, one at a
# time or in bulk: `sender` is the model, `pks` the rows created, changed or deleted. Data
# derived from other apps' records (the risk log's worked-out ratings) listen to it, so no
# audited write can leave them stale. A bulk writer that knows the authorities the rows belong
# to may send them as `authority_ids`, which saves the listeners finding them row by row, and
# the days the rows are for as `days` (returns).
history_written = Signal()


@receiver(post_create_historical_record)
def _one_row_written(sender, instance, **kwargs) -> None:
    history_written.send(sender=sender.instance_type, pks=[instance.pk])


def history_values(model: type[models.Model], pks: list, field: str) -> set:
    """The distinct values of `field` (a path, such as "location__authority_id") over every
    history row of these records, then and now, None left out: which authorities a write
    touched, before and after it."""
    history = model.history.model  # type: ignore[attr-defined]
    found: set = set()
    for ids_q in ids_filters(history, pks, "id"):
        found.update(history.objects.filter(ids_q).order_by().values_list(field, flat=True)
                     .distinct())
    found.discard(None)
    return found


def save_audited(obj: M, *, user, reason: str = "") -> M:
    """Validate and save one record, recording `user` and `reason` in its history."""
    obj.full_clean()
    _stamp(obj, user, reason)
    obj.save()
    return obj


# Where the writes made inside `writes_from` came from ("Bed placements import: list.csv"),
# added to each one's reason, so an imported change is told from a typed one.
_SOURCE: ContextVar[str] = ContextVar("caresight_audit_source", default="")


@contextmanager
def writes_from(source: str) -> Iterator[None]:
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _stamp(obj: Any, user, reason: str) -> None:
    # simple-history reads these attributes when it writes the history row.
    obj._history_user = actor(user)
    source = _SOURCE.get()
    obj._change_reason = (f"{reason} ({source})" if source and reason else
                          reason or source)[:100]


def delete_audited(obj: models.Model, *, user, reason: str = "") -> None:
    _stamp(obj, user, reason)
    obj.delete()


def bulk_create_audited(objs: list, model: type[models.Model], *, user, reason: str) -> list:
    """Insert many records and a history row for each (who, when, why)."""
    if not objs:
        return []
    created = model._default_manager.bulk_create(objs, batch_size=BATCH)
    _snapshot_history(model, [obj.pk for obj in created], user=user, reason=reason,
                      history_type="+")
    return created


def bulk_update_audited(objs: list, model, fields: list[str], *, user, reason: str) -> int:
    """Update many records and keep a history row for each, as it is after the update."""
    if not objs:
        return 0
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        fields = [*fields, "updated_at"]
    pks = [obj.pk for obj in objs]
    attnames = [model._meta.get_field(name).attname for name in fields]
    first = [getattr(objs[0], a) for a in attnames]
    if all([getattr(obj, a) for a in attnames] == first for obj in objs):
        # The same values for every record (a national round's rounds confirmed at once): one
        # plain UPDATE, where bulk_update would write a CASE of every record for each field.
        values = dict(zip(attnames, first, strict=True))
        changed = sum(model._default_manager.filter(ids_q).update(**values)
                      for ids_q in ids_filters(model, pks))
    else:
        changed = model._default_manager.bulk_update(objs, fields, batch_size=BATCH)
    _snapshot_history(model, pks, user=user, reason=reason, history_type="~")
    return changed


def history_of_inserted(queryset: models.QuerySet, *, user, reason: str) -> list:
    """Keep a "created" history row for each row of `queryset`, inserted without the ORM
    (core.db.insert_new), in one INSERT … SELECT; return their primary keys.

    `queryset` must select exactly the rows just inserted (a national allocation: the rounds'
    allocations, which the rounds could not have had before).
    """
    model = queryset.model
    pks = list(queryset.order_by().values_list("pk", flat=True))
    if pks:
        inner, params = queryset.order_by().values("pk").query.sql_with_params()
        _insert_history(model, f"IN ({inner})", list(params), user=user, reason=reason,
                        history_type="+")
        history_written.send(sender=model, pks=pks)
    return pks


BATCH = 900  # rows per statement: within SQLite's and PostgreSQL's parameter limits


def _snapshot_history(model, pks: list, *, user, reason: str, history_type: str) -> None:
    """Copy the rows' current values into the history table inside the database.

    One INSERT … SELECT per batch does in the database what django-simple-history would do
    row by row in Python (it builds one history object per row); for an import of tens of
    thousands of rows that is most of the time. The rows are the same as simple-history's.
    """
    when = timezone.now()
    for start in range(0, len(pks), BATCH):
        chunk = pks[start:start + BATCH]
        _insert_history(model, f"IN ({', '.join(['%s'] * len(chunk))})", chunk, user=user,
                        reason=reason, history_type=history_type, when=when)
    history_written.send(sender=model, pks=pks)


def _insert_history(model, pk_condition: str, params: list, *, user, reason: str,
                    history_type: str, when: dt.datetime | None = None) -> None:
    """INSERT … SELECT the history rows of the rows whose pk meets `pk_condition`."""
    history = getattr(model, "history").model  # noqa: B009 (added by simple-history)
    source = {f.column for f in model._meta.concrete_fields}
    copied = [f.column for f in history._meta.concrete_fields if f.column in source]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in copied)
    # Quoted names from model metadata and SQL Django compiled; every value is a parameter
    # (hence the nosec for B608).
    sql = (
        f"INSERT INTO {qn(history._meta.db_table)} ({columns}, {qn('history_date')}, "  # nosec B608
        f"{qn('history_change_reason')}, {qn('history_type')}, {qn('history_user_id')}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
        f"WHERE {qn(model._meta.pk.column)} {pk_condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [when or timezone.now(), reason[:100] or None, history_type,
                             getattr(user, "pk", None), *params])


def history_entries(obj: models.Model, *, limit: int = 200) -> list[dict]:
    """The record's history, newest first, each with the fields that changed."""
    manager = getattr(obj, "history")  # noqa: B009 (simple-history adds it; mypy cannot see it)
    history = manager.select_related("history_user").order_by("-history_date")
    records = list(history[: limit + 1])
    # A model may name a field otherwise in its history (e.g. a date that may lie ahead).
    labels = getattr(obj, "HISTORY_LABELS", {})
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = obj._meta.get_field(change.field)
                changes.append({
                    "field": labels.get(change.field) or str(
                        getattr(field, "verbose_name", change.field)).capitalize(),
                    "old": _display(field, change.old),
                    "new": _display(field, change.new),
                })
        entries.append({
            "when": record.history_date,
            "who": record.history_user or "System",
            "action": {"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type],
            "reason": record.history_change_reason or "",
            "changes": changes,
        })
    return entries


def _display(field, value) -> str:
    if value in (None, "", []):
        return "(blank)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        try:
            return str(field.related_model._default_manager.get(pk=value))
        except field.related_model.DoesNotExist:
            return f"(removed record {value})"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{long_date(local.date())}, {local:%H:%M}"
    if isinstance(value, dt.date):
        return long_date(value)
    return str(value)
