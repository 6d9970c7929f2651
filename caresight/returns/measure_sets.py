"""Measure sets as data: check a definition and load the versions not loaded yet.

The same loader serves the data migration (with historical models) and the
`measure_sets_load` service, so shipped and later sets follow one set of rules.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

from .models import KEPT_FLAGS, KEPT_NUMBERS, RETURN_WINDOW_DAYS, STORED_NUMBERS, STORED_TOTALS

SHIPPED = Path(__file__).resolve().parent / "data" / "measure_sets.json"
KINDS = {"yes_no", "whole_number", "decimal", "choice", "date"}
GROUPS = {"care_home", "community"}
# Answers a return keeps as numbers in columns of their own: the database reads them as
# numbers whenever a return is written, so a set may ask them only as numbers.
KEPT_AS_NUMBERS = {*STORED_NUMBERS, *KEPT_NUMBERS,
                   *(code for codes in STORED_TOTALS.values() for code in codes)}
NUMBER_KINDS = {"whole_number", "decimal"}


class MeasureSetError(ValueError):
    """A measure set definition that cannot be loaded; says which set and measure."""


def _decimal(value, where: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise MeasureSetError(f"{where}: {value!r} is not a number") from exc


def check(definition: dict) -> list[dict]:
    """Return the measure sets in `definition` as plain dicts, or raise MeasureSetError."""
    sets = definition.get("measure_sets")
    if not isinstance(sets, list) or not sets:
        raise MeasureSetError("The file must hold a list called measure_sets.")
    checked = []
    for number, item in enumerate(sets, start=1):
        name = f"Measure set {number} ({item.get('service_group')} v{item.get('version')})"
        if item.get("service_group") not in GROUPS:
            raise MeasureSetError(f"{name}: service_group must be one of {sorted(GROUPS)}")
        if not isinstance(item.get("version"), int) or item["version"] < 1:
            raise MeasureSetError(f"{name}: version must be a whole number from 1")
        measures, codes = [], set()
        for position, raw in enumerate(item.get("measures") or [], start=1):
            where = f"{name}, measure {position} ({raw.get('code')})"
            code = raw.get("code") or ""
            if not code or code in codes:
                raise MeasureSetError(f"{where}: each measure needs its own code")
            codes.add(code)
            if raw.get("kind") not in KINDS:
                raise MeasureSetError(f"{where}: kind must be one of {sorted(KINDS)}")
            if code in KEPT_AS_NUMBERS and raw["kind"] not in NUMBER_KINDS:
                raise MeasureSetError(f"{where}: this answer is kept as a number, so its kind "
                                      f"must be one of {sorted(NUMBER_KINDS)}")
            if code in KEPT_FLAGS and raw["kind"] != "yes_no":
                raise MeasureSetError(f"{where}: this answer is kept as yes or no, so its kind "
                                      "must be yes_no")
            if not raw.get("label"):
                raise MeasureSetError(f"{where}: the label is missing")
            minimum = _decimal(raw.get("minimum"), where)
            maximum = _decimal(raw.get("maximum"), where)
            if minimum is not None and maximum is not None and maximum < minimum:
                raise MeasureSetError(f"{where}: the maximum is below the minimum")
            choices = raw.get("choices") or []
            if raw["kind"] == "choice" and not choices:
                raise MeasureSetError(f"{where}: a choice measure needs its choices")
            measures.append({
                "code": code, "section": raw.get("section", ""), "label": raw["label"],
                "hint": raw.get("hint", ""), "kind": raw["kind"], "minimum": minimum,
                "maximum": maximum, "choices": choices,
                "required": bool(raw.get("required", True)), "position": position,
            })
        if not measures:
            raise MeasureSetError(f"{name}: it has no measures")
        rules = item.get("rules") or []
        for rule in rules:
            if rule.get("code") not in codes or rule.get("at_most") not in codes:
                raise MeasureSetError(f"{name}: the rule {rule} names a measure it does not have")
        checked.append({
            "service_group": item["service_group"], "version": item["version"],
            "title": item.get("title") or item["service_group"],
            "in_use_from": item.get("in_use_from"),
            "expected_every_days": int(item.get("expected_every_days", RETURN_WINDOW_DAYS)),
            "rules": rules,
            "measures": measures,
        })
    return checked


def load(definition: dict, *, MeasureSet, Measure) -> list:  # noqa: N803 (model classes)
    """Create the versions that are new; refuse a loaded version whose questions differ.

    Changing a question is a new version: old returns keep the version they answered.
    """
    created = []
    for item in check(definition):
        existing = MeasureSet.objects.filter(
            service_group=item["service_group"], version=item["version"]).first()
        if existing is not None:
            loaded = [
                {f: getattr(m, f) for f in item["measures"][0]}
                for m in Measure.objects.filter(measure_set=existing).order_by("position")
            ]
            if loaded != item["measures"] or existing.rules != item["rules"]:
                raise MeasureSetError(
                    f"{item['service_group']} version {item['version']} is already loaded with "
                    "different questions; give the changed questions a new version number.")
            continue
        measure_set = MeasureSet.objects.create(
            **{k: v for k, v in item.items() if k != "measures"})
        Measure.objects.bulk_create(
            [Measure(measure_set=measure_set, **m) for m in item["measures"]])
        created.append(measure_set)
    return created
