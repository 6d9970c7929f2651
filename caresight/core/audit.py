"""Every write keeps who, when and what changed (django-simple-history).

In a web request the user comes from the request (HistoryRequestMiddleware); elsewhere (the
command line, background jobs) services pass the acting user explicitly through these helpers.
"""

from django.db import models
from simple_history.utils import bulk_create_with_history, bulk_update_with_history


def save_audited(obj: models.Model, *, user, reason: str = "") -> models.Model:
    """Validate and save one record, recording `user` and `reason` in its history."""
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = reason[:100]
    obj.save()
    return obj


def delete_audited(obj: models.Model, *, user, reason: str = "") -> None:
    obj._history_user = user
    obj._change_reason = reason[:100]
    obj.delete()


def bulk_create_audited(objs: list, model: type[models.Model], *, user, reason: str) -> list:
    if not objs:
        return []
    return bulk_create_with_history(
        objs, model, batch_size=1000, default_user=user, default_change_reason=reason[:100]
    )


def bulk_update_audited(objs: list, model, fields: list[str], *, user, reason: str) -> int:
    if not objs:
        return 0
    return bulk_update_with_history(
        objs, model, fields, batch_size=1000, default_user=user,
        default_change_reason=reason[:100],
    )


def history_entries(obj: models.Model, *, limit: int = 200) -> list[dict]:
    """The record's history, newest first, each with the fields that changed."""
    history = obj.history.select_related("history_user").order_by("-history_date")
    records = list(history[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = obj._meta.get_field(change.field)
                changes.append({
                    "field": str(field.verbose_name).capitalize(),
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
    return str(value)
