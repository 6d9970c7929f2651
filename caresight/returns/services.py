"""Writes for provider returns."""

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import bulk_create_audited, bulk_update_audited, save_audited
from caresight.core.files import RowError
from caresight.core.imports import (
    Context,
    Importer,
    ImportPages,
    ImportResult,
    Outcome,
    Plan,
    match_locations,
)
from caresight.core.progress import Progress
from caresight.core.tenancy import Capability, actor
from caresight.core.timeutils import long_date
from caresight.registry.models import Location

from . import bulk_import, capacity_tracker, current, measure_sets, partitions
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
    if location.authority_id in tenancy.authority_ids(
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
    if not tenancy.allows(user, Capability.SUBMIT_RETURNS, location):
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

    partitions.ensure_for([for_date])  # before any return is read (partitions.py)
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
    ret.submitted_by, ret.submitted_at = actor(user), timezone.now()
    save_audited(ret, user=user, reason=f"Return version {ret.version}")
    current.keep([ret.pk], days=[for_date])
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


class CapacityTrackerImporter(Importer):
    """A national Capacity Tracker export (care home or community), all or nothing.

    Rows are matched to services by CQC location ID and dated by the tracker's last-updated
    time. The imported answers replace those measures on the day's return and leave the
    other answers (those only asked in Caresight) as they were; a row that changes nothing is
    "unchanged", so importing the same file twice writes once. Rows for services outside the
    importing user's authorities are counted and left alone. On PostgreSQL the rows are
    checked, merged and written set by set (bulk_import); elsewhere one by one, with the same
    outcome.
    """

    kind = "returns"
    label = "Capacity Tracker returns"
    pages = ImportPages("returns:import", "returns:completeness", "See who has returned")
    title = "Import Capacity Tracker returns"
    intro = (
        "Upload the national Capacity Tracker care home export or community (home care) "
        "export. Each row is matched to a service by its CQC location ID and dated by when the "
        "service last updated the tracker. The tracker's figures replace those answers on that "
        "day's return; answers given only in Caresight are kept.",
        "If any row has a problem, nothing is imported and every problem is listed. Importing "
        "the same file twice changes nothing the second time. Rows for services outside your "
        "authorities are counted and left alone.",
    )
    file_hint = ("The national Capacity Tracker care home or community export, as CSV, XLSX or "
                 "ODS. You will see what will change before anything is saved.")

    def layout(self, fmt: str, headers: list[str]) -> capacity_tracker.Mapping:
        return capacity_tracker.layout(fmt, headers)

    def parse(self, table):
        return capacity_tracker.parse(table)

    def plan(self, records: list, context: Context) -> "_TrackerPlan":
        return _plan_tracker_rows(records, context)

    def apply(self, plan, *, user, reason: str, progress: Progress) -> None:
        progress.start(1, "Saving returns")
        _apply_tracker_plan(plan, user=user, reason=reason)
        progress.finish()


def capacity_tracker_import(
    *, data: bytes, file_name: str, user, dry_run: bool, progress: Progress | None = None,
    expected_fingerprint: str | None = None,
) -> ImportResult:
    """Import a national Capacity Tracker export, all or nothing (CapacityTrackerImporter)."""
    return CapacityTrackerImporter().run(
        data=data, file_name=file_name, user=user, dry_run=dry_run, progress=progress,
        expected_fingerprint=expected_fingerprint)


class _TrackerPlan(Plan):
    def __init__(self) -> None:
        super().__init__()
        self.new: list[Return] = []
        self.changed: list[Return] = []
        self.log: list = []
        self.staged: bulk_import.Staged | None = None  # the set-based plan, on PostgreSQL

    def changes(self) -> list:
        return self.log

    def has_changes(self) -> bool:
        return bool(self.counts[Outcome.CREATED] or self.counts[Outcome.UPDATED])

    def fingerprint(self) -> str:
        return self.staged.digest if self.staged else super().fingerprint()


def tracker_row_check(row: capacity_tracker.TrackerRow, measure_set: MeasureSet,
                      measures: dict[str, Measure], stored: dict | None
                      ) -> tuple[dict, dict[str, str]]:
    """A row's answers over the day's stored ones (if any), checked: (values, errors by code)."""
    answers = dict(stored) if stored else {}
    answers.update(row.answers)
    return answers_check(measure_set, measures, answers, partial=True,
                         label=lambda code: row.headings.get(code) or measures[code].label)


def _plan_tracker_rows(rows: list[capacity_tracker.TrackerRow], context: Context
                       ) -> _TrackerPlan:
    plan = _TrackerPlan()
    errors, progress = context.errors, context.progress
    matches = match_locations("registry.Location", (r.cqc_id for r in rows),
                              ("service_type", "name"))
    kept = context.checks.matched(rows, matches)
    plan.counts[Outcome.OUTSIDE] = context.checks.outside
    sets: dict[tuple, tuple[MeasureSet, dict[str, Measure]] | None] = {}
    checked: list[tuple[capacity_tracker.TrackerRow, int, MeasureSet, dict[str, Measure]]] = []
    for row, match in kept:
        service_type, name = match["service_type"], match["name"]
        group = SERVICE_GROUP_OF_TYPE.get(service_type)
        if group != row.service_group:
            errors.append(RowError(row.row, row.id_field, (
                f"{name} ({row.cqc_id}) is not one of the services this export is for "
                f"({row.export_name}); the register says it is "
                f"{service_type.replace('_', ' ')}")))
            continue
        if (group, row.day) not in sets:
            measure_set = measure_set_for(service_type=service_type, as_of=row.day)
            sets[group, row.day] = None if measure_set is None else (
                measure_set, {m.code: m for m in measure_set.measures.all()})
        found = sets[group, row.day]
        if found is None:
            errors.append(RowError(row.row, row.date_field,
                                   f"No returns were asked for on {long_date(row.day)}"))
            continue
        checked.append((row, match.pk, *found))

    now = timezone.now()
    progress.start(len(checked), "Checking rows")
    if _set_based():
        plan.staged = bulk_import.plan(checked, errors=errors, counts=plan.counts, now=now,
                                       check_row=tracker_row_check)
        progress.finish()
        return plan
    existing = _returns_on({(location_id, row.day) for row, location_id, *_ in checked})
    for index, (row, location_id, measure_set, measures) in enumerate(checked):
        if index % 500 == 0 and index:
            progress.advance(500)
        ret = existing.get((location_id, row.day))
        values, problems = tracker_row_check(row, measure_set, measures,
                                             ret.values if ret else None)
        for code, message in problems.items():
            errors.append(RowError(row.row, row.headings.get(code, code), message))
        if problems:
            continue
        if ret is None:
            plan.new.append(Return(location_id=location_id, for_date=row.day, version=1,
                                   measure_set=measure_set, values=values,
                                   source=Return.Source.IMPORT, submitted_at=now))
            plan.log.append(["return+", row.cqc_id, row.day, measure_set.pk, values])
            plan.counts[Outcome.CREATED] += 1
        elif ret.values == values and ret.measure_set_id == measure_set.pk:
            plan.counts[Outcome.UNCHANGED] += 1
        else:
            plan.log.append(["return~", row.cqc_id, row.day, ret.version,
                             [ret.measure_set_id, measure_set.pk], [ret.values, values]])
            ret.values, ret.measure_set, ret.version = values, measure_set, ret.version + 1
            ret.source, ret.submitted_at = Return.Source.IMPORT, now
            plan.changed.append(ret)
            plan.counts[Outcome.UPDATED] += 1
    progress.finish()
    return plan


def _set_based() -> bool:
    """Whether the import checks and writes set by set (PostgreSQL) or row by row."""
    return connection.vendor == "postgresql"


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
    if plan.staged:
        partitions.ensure_for(plan.staged.days)
        ids = bulk_import.apply(plan.staged, user=user, reason=reason)
        days = plan.staged.days
    else:
        partitions.ensure_for({ret.for_date for ret in plan.new})
        for ret in plan.new + plan.changed:
            ret.submitted_by = actor(user)
        bulk_create_audited(plan.new, Return, user=user, reason=reason)
        bulk_update_audited(plan.changed, Return, IMPORT_FIELDS, user=user, reason=reason)
        ids = [ret.pk for ret in plan.new + plan.changed]
        days = {ret.for_date for ret in plan.new + plan.changed}
    current.keep(ids, days=days)


@transaction.atomic
def returns_load(*, items: list[tuple[Location, dt.date, dict]], user, reason: str) -> int:
    """Create many new returns at once (the demo's history), each checked like a form's."""
    partitions.ensure_for({for_date for _, for_date, _ in items})
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
                          submitted_by=actor(user), submitted_at=now))
    bulk_create_audited(new, Return, user=user, reason=reason)
    current.keep([ret.pk for ret in new], days={ret.for_date for ret in new})
    return len(new)
