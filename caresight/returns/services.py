"""Writes for provider returns."""

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import bulk_create_audited, bulk_update_audited, save_audited
from caresight.core.files import ImportFileError, RowError, read_table
from caresight.core.imports import ImportResult
from caresight.core.progress import NoProgress, Progress
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.registry.models import Location

from . import capacity_tracker, measure_sets
from .models import SERVICE_GROUP_OF_TYPE, Measure, MeasureSet, Return
from .selectors import measure_set_for

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
# A whole number that moves by more than this share (and by more than JUMP_MIN) since the
# previous return is worth a second look, though it may well be true.
JUMP_SHARE = Decimal("0.5")
JUMP_MIN = 5


@transaction.atomic
def measure_sets_load(*, definition: dict | str) -> list[MeasureSet]:
    """Load new measure set versions from a definition (a dict, or JSON text), all or nothing."""
    if isinstance(definition, str):
        try:
            parsed = json.loads(definition)
        except json.JSONDecodeError as exc:
            raise measure_sets.MeasureSetError(f"The JSON is not valid: {exc.msg}.") from exc
    else:
        parsed = definition
    return measure_sets.load(parsed, MeasureSet=MeasureSet, Measure=Measure)


@dataclass
class Submitted:
    ret: Return
    warnings: list[str] = field(default_factory=list)


def answer_clean(measure: Measure, raw, *, required: bool | None = None) -> object:
    """Turn one answer (text, number or boolean) into its stored form, or raise ValueError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if measure.required if required is None else required:
            raise ValueError("Answer this question")
        return None
    text = str(raw).strip()
    if measure.kind == Measure.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        if text.lower() in YES | NO:
            return text.lower() in YES
        raise ValueError("Answer yes or no")
    if measure.kind == Measure.Kind.CHOICE:
        values = [value for value, _ in measure.choices]
        if text not in values:
            raise ValueError(f"Choose one of: {', '.join(label for _, label in measure.choices)}")
        return text
    if measure.kind == Measure.Kind.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Enter a date like 2020-06-04") from None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError("Enter a number") from None
    if measure.kind == Measure.Kind.WHOLE_NUMBER and number != number.to_integral_value():
        raise ValueError("Enter a whole number")
    if measure.minimum is not None and number < measure.minimum:
        raise ValueError(f"Must be {measure.minimum.normalize():f} or more")
    if measure.maximum is not None and number > measure.maximum:
        raise ValueError(f"Must be {measure.maximum.normalize():f} or less")
    # Stored as text so that a decimal never passes through a float.
    return int(number) if measure.kind == Measure.Kind.WHOLE_NUMBER else str(number)


def answers_check(measure_set: MeasureSet, measures: dict[str, Measure], answers: dict, *,
                  partial: bool = False, label=None) -> tuple[dict, dict[str, str]]:
    """Turn answers into stored values and check them against the set's rules.

    Returns (values, errors by measure code). Unanswered questions are left out of the values;
    with `partial` (an import that holds only some measures) they are not errors either.
    `label(code)` names a question in messages (default: the measure's label).
    """
    label = label or (lambda code: measures[code].label)
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for code, measure in measures.items():
        if partial and code not in answers:
            continue
        try:
            value = answer_clean(measure, answers.get(code), required=measure.required
                                 and not partial)
        except ValueError as exc:
            errors[code] = f"{label(code)}: {exc}"
            continue
        if value is not None:
            values[code] = value
    for rule in measure_set.rules:
        left, right = values.get(rule["code"]), values.get(rule["at_most"])
        if left is not None and right is not None and Decimal(str(left)) > Decimal(str(right)):
            errors.setdefault(rule["code"], (
                f"{label(rule['code'])} ({left}) cannot be more than "
                f"{label(rule['at_most']).lower()} ({right})"))
    return values, errors


def submitting_as(user, location: Location) -> str:
    """A council officer enters a return on a provider's behalf; a provider user, its own."""
    if user is not None and location.authority_id in tenancy.authority_ids(
            user, Capability.SUBMIT_RETURNS):
        return Return.Source.OFFICER
    return Return.Source.PROVIDER


@transaction.atomic
def return_submit(*, location: Location, for_date: dt.date, answers: dict, user,
                  source: str | None = None) -> Submitted:
    """Record a service's answers for a day; a second submission that day is a new version.

    Refuses what cannot be true (bounds, the measure set's rules, a date in the future, a
    service the user may not submit for) with a message per question, and writes nothing.
    Warns, without refusing, about sudden jumps since the previous return.
    """
    if user is not None and not tenancy.allows(user, Capability.SUBMIT_RETURNS, location):
        raise PermissionDenied("You cannot submit returns for this service.")
    if for_date > timezone.localdate():
        raise ValidationError({"for_date": "The date cannot be in the future."})
    measure_set = measure_set_for(service_type=location.service_type, as_of=for_date)
    if measure_set is None:
        raise ValidationError({"location": f"{location.get_service_type_display()} services "
                               "have no return to make."})
    measures = {m.code: m for m in measure_set.measures.all()}
    values, errors = answers_check(measure_set, measures, answers)
    unknown = sorted(set(answers) - set(measures))
    if unknown:
        errors["__all__"] = f"These are not questions of this return: {', '.join(unknown)}"
    if errors:
        raise ValidationError(errors)

    previous = (Return.objects.filter(location=location, for_date__lt=for_date)
                .order_by("-for_date").first())
    warnings = _jumps(measures, previous, values) if previous else []
    ret = Return.objects.select_for_update().filter(location=location, for_date=for_date).first()
    if ret is None:
        ret = Return(location=location, for_date=for_date)
    else:
        ret.version += 1
    ret.measure_set, ret.values = measure_set, values
    ret.source = source or submitting_as(user, location)
    ret.submitted_by, ret.submitted_at = user, timezone.now()
    save_audited(ret, user=user, reason=f"Return version {ret.version}")
    return Submitted(ret=ret, warnings=warnings)


def _jumps(measures: dict[str, Measure], previous: Return, after: dict) -> list[str]:
    """Whole numbers that moved a lot since the return of an earlier day."""
    before = previous.values
    warnings = []
    for code, value in after.items():
        old = before.get(code)
        if measures[code].kind != Measure.Kind.WHOLE_NUMBER or value is None or old is None:
            continue
        change = abs(Decimal(value) - Decimal(old))
        if change > JUMP_MIN and change > JUMP_SHARE * max(Decimal(old), Decimal(1)):
            warnings.append(f"{measures[code].label} went from {old} to {value} since the "
                            f"return for {long_date(previous.for_date)}. Check it is right.")
    return warnings


# --- Capacity Tracker import --------------------------------------------------------------

IMPORT_BATCH = 2000
# Fields an import may change on a return it updates.
IMPORT_FIELDS = ["measure_set", "values", "version", "source", "submitted_by", "submitted_at"]


def capacity_tracker_import(
    *, data: bytes, file_name: str, user, dry_run: bool, progress: Progress | None = None
) -> ImportResult:
    """Import a national Capacity Tracker export (care home or community), all or nothing.

    Rows are matched to services by CQC location ID and dated by the tracker's last-updated
    time. The imported answers replace those measures on the day's return and leave the
    other answers (those only asked in Caresight) as they were; a row that changes nothing is
    "unchanged", so importing the same file twice writes once. Rows for services outside the
    importing user's authorities are counted and left alone.
    """
    progress = progress or NoProgress()
    result = ImportResult(dry_run=dry_run)
    try:
        table = read_table(data, file_name)
        result.rows = len(table.rows)
        mapping, rows, errors = capacity_tracker.parse(table)
    except ImportFileError as exc:
        result.file_error = str(exc)
        return result
    allowed = None if user is None else tenancy.authority_ids(user, Capability.IMPORT)
    plan = _plan_tracker_rows(mapping, rows, errors, progress, allowed_authority_ids=allowed)
    result.errors = sorted(errors, key=lambda e: e.row)
    result.counts = plan.counts()
    if result.errors or dry_run:
        return result
    progress.start(1, "Saving returns")
    _apply_tracker_plan(plan, user=user, reason=f"Capacity Tracker import: {file_name}"[:100])
    progress.finish()
    return result


@dataclass
class _TrackerPlan:
    new: list[Return] = field(default_factory=list)
    changed: list[Return] = field(default_factory=list)
    unchanged: int = 0
    outside: int = 0

    def counts(self) -> dict[str, int]:
        return {"created": len(self.new), "updated": len(self.changed),
                "unchanged": self.unchanged,
                "outside your authorities (left alone)": self.outside}


def _plan_tracker_rows(mapping: capacity_tracker.Mapping, rows: list, errors: list[RowError],
                       progress: Progress, *, allowed_authority_ids) -> _TrackerPlan:
    plan = _TrackerPlan()
    group_types = {t for t, g in SERVICE_GROUP_OF_TYPE.items() if g == mapping.service_group}
    locations: dict[str | None, tuple] = {}
    cqc_ids = sorted({r.cqc_id for r in rows})
    for start in range(0, len(cqc_ids), IMPORT_BATCH):
        locations.update(
            (row[0], row[1:]) for row in Location.objects.filter(
                cqc_location_id__in=cqc_ids[start:start + IMPORT_BATCH]
            ).values_list("cqc_location_id", "pk", "authority_id", "service_type", "name")
        )
    wanted = [(r, locations[r.cqc_id]) for r in rows if r.cqc_id in locations]
    existing = _returns_on(
        {(loc[0], r.for_date) for r, loc in wanted if r.for_date is not None})
    sets: dict[dt.date, tuple[MeasureSet, dict[str, Measure]]] = {}
    today = timezone.localdate()
    seen: dict[tuple[int, dt.date], int] = {}
    now = timezone.now()

    progress.start(len(rows), "Checking rows")
    for index, row in enumerate(rows):
        if index % 500 == 0 and index:
            progress.advance(500)
        found = locations.get(row.cqc_id)
        if found is None:
            errors.append(RowError(row.row, "cqcid", f"{row.cqc_id!r} is not a CQC location ID "
                                   "of any service on the register"))
            continue
        location_id, authority_id, service_type, name = found
        if allowed_authority_ids is not None and authority_id not in allowed_authority_ids:
            plan.outside += 1
            continue
        if service_type not in group_types:
            errors.append(RowError(row.row, "cqcid", (
                f"{name} ({row.cqc_id}) is not one of the services this export is for "
                f"({mapping.name}); the register says it is {service_type.replace('_', ' ')}")))
            continue
        if row.for_date is None:
            continue  # its date error is already listed
        if row.for_date > today:
            errors.append(RowError(row.row, mapping.date_column,
                                   f"{long_date(row.for_date)} is in the future"))
            continue
        key = (location_id, row.for_date)
        if key in seen:
            errors.append(RowError(row.row, "cqcid", (
                f"{row.cqc_id} on {long_date(row.for_date)} is also in row {seen[key]}")))
            continue
        seen[key] = row.row
        if row.for_date not in sets:
            measure_set = measure_set_for(service_type=service_type, as_of=row.for_date)
            if measure_set is None:
                errors.append(RowError(row.row, mapping.date_column,
                                       f"No returns were asked for on {long_date(row.for_date)}"))
                continue
            sets[row.for_date] = (measure_set, {m.code: m for m in measure_set.measures.all()})
        measure_set, measures = sets[row.for_date]
        ret = existing.get(key)
        answers = dict(ret.values) if ret else {}
        answers.update(row.answers)
        values, problems = answers_check(
            measure_set, measures, answers, partial=True,
            label=lambda code, row=row, measures=measures:
                row.headings.get(code) or measures[code].label)
        for code, message in problems.items():
            errors.append(RowError(row.row, row.headings.get(code, code), message))
        if problems:
            continue
        if ret is None:
            plan.new.append(Return(location_id=location_id, for_date=row.for_date, version=1,
                                   measure_set=measure_set, values=values,
                                   source=Return.Source.IMPORT, submitted_at=now))
        elif ret.values == values and ret.measure_set_id == measure_set.pk:
            plan.unchanged += 1
        else:
            ret.values, ret.measure_set, ret.version = values, measure_set, ret.version + 1
            ret.source, ret.submitted_at = Return.Source.IMPORT, now
            plan.changed.append(ret)
    progress.finish()
    return plan


def _returns_on(keys: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], Return]:
    """The returns already made for these (location, day) pairs."""
    found: dict[tuple[int, dt.date], Return] = {}
    by_date: dict[dt.date, list[int]] = {}
    for location_id, day in keys:
        by_date.setdefault(day, []).append(location_id)
    for day, location_ids in by_date.items():
        for start in range(0, len(location_ids), IMPORT_BATCH):
            for ret in Return.objects.filter(
                for_date=day, location_id__in=location_ids[start:start + IMPORT_BATCH]
            ).only("pk", "location_id", "for_date", "values", "version", "measure_set_id"):
                found[(ret.location_id, ret.for_date)] = ret
    return found


@transaction.atomic
def _apply_tracker_plan(plan: _TrackerPlan, *, user, reason: str) -> None:
    for ret in plan.new + plan.changed:
        ret.submitted_by = user
    bulk_create_audited(plan.new, Return, user=user, reason=reason)
    bulk_update_audited(plan.changed, Return, IMPORT_FIELDS, user=user, reason=reason)


@transaction.atomic
def returns_load(*, items: list[tuple[Location, dt.date, dict]], user, reason: str) -> int:
    """Create many new returns at once (the demo's history), each checked like a form's."""
    new = []
    now = timezone.now()
    for location, for_date, answers in items:
        measure_set = measure_set_for(service_type=location.service_type, as_of=for_date)
        if measure_set is None:
            raise ValidationError(f"{location} makes no returns.")
        measures = {m.code: m for m in measure_set.measures.all()}
        values, errors = answers_check(measure_set, measures, answers)
        if errors:
            raise ValidationError({f"{location} on {for_date}": list(errors.values())})
        new.append(Return(location=location, for_date=for_date, measure_set=measure_set,
                          values=values, source=submitting_as(user, location),
                          submitted_by=user, submitted_at=now))
    bulk_create_audited(new, Return, user=user, reason=reason)
    return len(new)
