"""Writes for outbreaks: reports, updates, overrides, thresholds, IMTs, reviews and imports.

Every write goes through here, is validated, and is audited. After any change to an outbreak's
updates or overrides its status changes are worked out again (`pathway.py`) and only the
differences are written, so the status on every past day stays known.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import delete_audited, save_audited
from caresight.core.db import ids_filters
from caresight.core.files import RowError
from caresight.core.imports import (
    OUTSIDE,
    Context,
    Importer,
    ImportPages,
    ImportResult,
    Match,
    Plan,
    match_locations,
)
from caresight.core.progress import Progress
from caresight.core.tenancy import actor
from caresight.core.timeutils import long_date
from caresight.registry.models import Location

from . import line_lists, pathway
from .models import (
    CLOSURE_DAYS,
    DE_ESCALATION_DAYS,
    ImtAction,
    ImtMeeting,
    Kind,
    LearningReview,
    Outbreak,
    Status,
    StatusChange,
    Thresholds,
    Update,
)

COUNT_LABELS = {"new_cases_residents": "New cases among residents",
                "new_cases_staff": "New cases among staff", "deaths": "Deaths"}


@dataclass(frozen=True)
class Counts:
    """What one update reports: new cases since the last update, deaths, and more."""

    kind: str
    new_cases_residents: int = 0
    new_cases_staff: int = 0
    deaths: int = 0
    admissions_closed: bool | None = None
    notes: str = ""

    def check(self) -> dict[str, str]:
        errors = {}
        if self.kind not in Kind.values:
            errors["kind"] = "Say whether the outbreak is suspected or confirmed."
        for name, label in COUNT_LABELS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                errors[name] = f"{label} must be a whole number, 0 or more."
        return errors


def thresholds_for(authority_id: int) -> tuple[int, int]:
    """(de-escalation days, closure days) for an authority: its own, or the defaults."""
    found = Thresholds.objects.filter(authority_id=authority_id).first()
    return ((found.de_escalation_days, found.closure_days) if found
            else (DE_ESCALATION_DAYS, CLOSURE_DAYS))


@transaction.atomic
def thresholds_set(*, authority, de_escalation_days: int, closure_days: int, user) -> Thresholds:
    """Set an authority's thresholds. They apply to outbreaks reported from now on."""
    thresholds = Thresholds.objects.filter(authority=authority).first() or Thresholds(
        authority=authority)
    thresholds.de_escalation_days, thresholds.closure_days = de_escalation_days, closure_days
    if closure_days <= de_escalation_days:
        raise ValidationError({"closure_days": "The days to closure must be more than the days "
                               "to de-escalation."})
    return save_audited(thresholds, user=user, reason="Outbreak thresholds changed")


def _check_day(day: dt.date, field_name: str, *, not_before: dt.date | None = None,
               what: str = "") -> None:
    if day > timezone.localdate():
        raise ValidationError({field_name: f"{long_date(day)} is in the future."})
    if not_before and day < not_before:
        raise ValidationError({field_name: (
            f"{long_date(day)} is before {what} ({long_date(not_before)}).")})


@transaction.atomic
def outbreak_report(*, location: Location, reported_on: dt.date, reported_by: str,
                    counts: Counts, user, reporter_name: str = "",
                    first_symptoms_on: dt.date | None = None,
                    source: str = Update.Source.FORM) -> Outbreak:
    """Open an outbreak at a service with its first update. One open outbreak per service."""
    Location.objects.select_for_update().filter(pk=location.pk).first()  # one report at a time
    _check_day(reported_on, "reported_on")
    errors = counts.check()
    if reported_by not in Outbreak.ReportedBy.values:
        errors["reported_by"] = "Say who reported the outbreak."
    if first_symptoms_on and first_symptoms_on > reported_on:
        errors["first_symptoms_on"] = (f"The first symptoms ({long_date(first_symptoms_on)}) "
                                       "cannot be after the report date.")
    if errors:
        raise ValidationError(errors)
    latest = Outbreak.objects.filter(location=location).order_by("-reported_on").first()
    if latest and (latest.closed_on is None or latest.closed_on > reported_on):
        if latest.reported_on <= reported_on:
            raise ValidationError({"reported_on": (
                f"{location.name} already has an open outbreak, reported on "
                f"{long_date(latest.reported_on)}; add an update to it instead.")})
        raise ValidationError({"reported_on": (
            f"{location.name} has a later outbreak, reported on {long_date(latest.reported_on)}; "
            "an outbreak cannot be added before it.")})
    de_escalation_days, closure_days = thresholds_for(location.authority_id)
    outbreak = save_audited(Outbreak(
        location=location, reported_on=reported_on, reported_by=reported_by,
        reporter_name=reporter_name, kind=counts.kind, first_symptoms_on=first_symptoms_on,
        admissions_closed=bool(counts.admissions_closed), notes=counts.notes,
        de_escalation_days=de_escalation_days, closure_days=closure_days,
        last_case_on=reported_on), user=user, reason="Outbreak reported")
    save_audited(Update(outbreak=outbreak, on=reported_on, source=source, recorded_by=actor(user),
                        **_update_fields(counts)), user=user, reason="Outbreak reported")
    outbreak_refresh(outbreak=outbreak, user=user)
    return outbreak


def _update_fields(counts: Counts) -> dict:
    return {"kind": counts.kind, "new_cases_residents": counts.new_cases_residents,
            "new_cases_staff": counts.new_cases_staff, "deaths": counts.deaths,
            "admissions_closed": counts.admissions_closed, "notes": counts.notes}


@transaction.atomic
def update_record(*, outbreak: Outbreak, on: dt.date, counts: Counts, user,
                  source: str = Update.Source.FORM, replace: bool = False) -> Update:
    """Add the day's update to an open outbreak (or, with `replace`, correct that day's)."""
    outbreak = Outbreak.objects.select_for_update().get(pk=outbreak.pk)
    _check_day(on, "on", not_before=outbreak.reported_on, what="the day the outbreak was reported")
    errors = counts.check()
    if errors:
        raise ValidationError(errors)
    if outbreak.closed_on is not None and on >= outbreak.closed_on:
        raise ValidationError({"on": (
            f"This outbreak closed on {long_date(outbreak.closed_on)}; report a new outbreak "
            "for anything after that.")})
    update = outbreak.updates.filter(on=on).first()
    if update and not replace:
        raise ValidationError({"on": f"An update for {long_date(on)} is already recorded for "
                               "this outbreak."})
    update = update or Update(outbreak=outbreak, on=on)
    for name, value in _update_fields(counts).items():
        setattr(update, name, value)
    update.source, update.recorded_by, update.recorded_at = source, actor(user), timezone.now()
    save_audited(update, user=user, reason="Outbreak update")
    outbreak_refresh(outbreak=outbreak, user=user)
    later = _next_outbreak(outbreak)
    if later and (outbreak.closed_on is None or outbreak.closed_on > later.reported_on):
        raise ValidationError({"on": (
            f"A new case on {long_date(on)} would keep this outbreak open after the next one "
            f"was reported ({long_date(later.reported_on)}).")})
    return update


def _next_outbreak(outbreak: Outbreak) -> Outbreak | None:
    return (Outbreak.objects.filter(location_id=outbreak.location_id,
                                    reported_on__gt=outbreak.reported_on)
            .order_by("reported_on").first())


@transaction.atomic
def status_override(*, outbreak: Outbreak, on: dt.date, status: str, reason: str,
                    user) -> StatusChange:
    """Set an outbreak's status by hand from a day, with the reason."""
    outbreak = Outbreak.objects.select_for_update().get(pk=outbreak.pk)
    errors = {}
    if status not in Status.values:
        errors["status"] = "Choose the status."
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for changing the status by hand."
    if errors:
        raise ValidationError(errors)
    _check_day(on, "on", not_before=outbreak.reported_on, what="the day the outbreak was reported")
    if outbreak.closed_on is not None and outbreak.closed_on <= min(on, timezone.localdate()):
        raise ValidationError({"on": (
            f"This outbreak closed on {long_date(outbreak.closed_on)}; a new case opens a new "
            "outbreak.")})
    last_override = outbreak.status_changes.filter(automatic=False).order_by("-on").first()
    if last_override and on < last_override.on:
        raise ValidationError({"on": (
            f"The status was set by hand from {long_date(last_override.on)}; a new change "
            "must be from that day or later.")})
    last_update = outbreak.updates.order_by("-on").first()
    if status == Status.CLOSED and last_update and on <= last_update.on \
            and last_update.on != outbreak.reported_on:
        raise ValidationError({"on": (
            f"An update is recorded for {long_date(last_update.on)}; the outbreak can close "
            "only after its last update.")})
    later = _next_outbreak(outbreak)
    if later and status != Status.CLOSED:
        raise ValidationError({"status": (
            f"A later outbreak was reported on {long_date(later.reported_on)}; this one can "
            "only be closed.")})
    change = save_audited(StatusChange(outbreak=outbreak, on=on, status=status, automatic=False,
                                       reason=reason.strip(), recorded_by=actor(user)),
                          user=user, reason="Status changed by hand")
    outbreak_refresh(outbreak=outbreak, user=user)
    return change


def outbreak_timeline(outbreak: Outbreak, updates: list[Update] | None = None,
                      overrides: list[StatusChange] | None = None) -> list[pathway.Change]:
    """The outbreak's status changes as the pathway works them out from what is recorded."""
    if updates is None:
        updates = list(outbreak.updates.all())
    if overrides is None:
        overrides = list(outbreak.status_changes.filter(automatic=False))
    return pathway.status_changes(
        reported_on=outbreak.reported_on,
        case_days=[u.on for u in updates if u.new_cases],
        overrides=[pathway.Override(o.on, o.status, o.reason) for o in overrides],
        de_escalation_days=outbreak.de_escalation_days, closure_days=outbreak.closure_days)


def outbreak_refresh(*, outbreak: Outbreak, user) -> Outbreak:
    """Bring the outbreak's status changes and summary fields in line with its updates."""
    updates = list(outbreak.updates.order_by("on"))
    stored = list(outbreak.status_changes.all())
    overrides = [c for c in stored if not c.automatic]
    wanted = outbreak_timeline(outbreak, updates, overrides)
    automatic = {(c.on, c.status): c for c in stored if c.automatic}
    wanted_automatic = {(c.on, c.status) for c in wanted if c.automatic}
    for key, change in automatic.items():
        if key not in wanted_automatic:
            delete_audited(change, user=user, reason="Status pathway worked out again")
    for on, status in sorted(wanted_automatic - set(automatic)):
        save_audited(StatusChange(outbreak=outbreak, on=on, status=status, automatic=True),
                     user=user, reason="Status pathway")
    outbreak.closed_on = pathway.closed_on(wanted)
    closes = outbreak.closed_on or dt.date.max
    outbreak.last_case_on = max([outbreak.reported_on,
                                 *(u.on for u in updates if u.new_cases and u.on < closes)])
    if updates:
        outbreak.kind = updates[-1].kind
        said = [u.admissions_closed for u in updates if u.admissions_closed is not None]
        outbreak.admissions_closed = said[-1] if said else outbreak.admissions_closed
    save_audited(outbreak, user=user, reason="Outbreak updated")
    return outbreak


# --- Incident management ------------------------------------------------------------------


@transaction.atomic
def imt_meeting_record(*, location: Location, held_on: dt.date, attendees: str, summary: str,
                       user, outbreak: Outbreak | None = None) -> ImtMeeting:
    _check_day(held_on, "held_on")
    if outbreak is not None and outbreak.location_id != location.pk:
        raise ValidationError({"outbreak": "That outbreak is at another service."})
    if not attendees.strip():
        raise ValidationError({"attendees": "List who attended."})
    return save_audited(ImtMeeting(location=location, outbreak=outbreak, held_on=held_on,
                                   attendees=attendees.strip(), summary=summary.strip(),
                                   created_by=actor(user)),
                        user=user, reason="IMT meeting recorded")


@transaction.atomic
def imt_action_add(*, meeting: ImtMeeting, description: str, owner: str, due_on: dt.date,
                   user) -> ImtAction:
    if due_on < meeting.held_on:
        raise ValidationError({"due_on": (f"The due date is before the meeting "
                                          f"({long_date(meeting.held_on)}).")})
    return save_audited(ImtAction(meeting=meeting, description=description.strip(),
                                  owner=owner.strip(), due_on=due_on),
                        user=user, reason="IMT action added")


@transaction.atomic
def imt_action_done(*, action: ImtAction, done_on: dt.date, user) -> ImtAction:
    _check_day(done_on, "done_on", not_before=action.meeting.held_on, what="the meeting")
    action.done_on = done_on
    return save_audited(action, user=user, reason="IMT action done")


@transaction.atomic
def learning_review_record(*, outbreak: Outbreak, reviewed_on: dt.date, what_happened: str,
                           lessons: str, shared_with: str, user) -> LearningReview:
    """Record (or revise) the review of a closed outbreak."""
    _check_day(reviewed_on, "reviewed_on")
    if outbreak.closed_on is None or outbreak.closed_on > reviewed_on:
        raise ValidationError({"reviewed_on": (
            "A learning review is held after the outbreak has closed"
            + (f" (it closes on {long_date(outbreak.closed_on)})." if outbreak.closed_on
               else "; it is still open."))})
    review = getattr(outbreak, "learning_review", None) or LearningReview(outbreak=outbreak,
                                                                          created_by=actor(user))
    review.reviewed_on, review.what_happened = reviewed_on, what_happened.strip()
    review.lessons, review.shared_with = lessons.strip(), shared_with.strip()
    return save_audited(review, user=user, reason="Learning review")


# --- Public health line lists -------------------------------------------------------------


@dataclass
class _Line:
    row: int
    day: dt.date
    counts: Counts


@dataclass
class _LocationPlan:
    """One service's outbreaks as they will be after the file, worked out in memory."""

    location: Location
    outbreaks: list[dict] = field(default_factory=list)


@dataclass
class _Working:
    """An outbreak as it will be after the file: its updates and overrides, in memory."""

    outbreak: Outbreak | None
    reported_on: dt.date
    de_escalation_days: int
    closure_days: int
    updates: dict[dt.date, Counts]
    overrides: list[pathway.Override]
    rows: dict[dt.date, int] = field(default_factory=dict)  # day -> file row, for messages
    written: set[dt.date] = field(default_factory=set)

    def closes_on(self) -> dt.date | None:
        return pathway.closed_on(pathway.status_changes(
            reported_on=self.reported_on,
            case_days=[day for day, c in self.updates.items()
                       if c.new_cases_residents + c.new_cases_staff],
            overrides=self.overrides, de_escalation_days=self.de_escalation_days,
            closure_days=self.closure_days))

    def open_on(self, day: dt.date) -> bool:
        closes = self.closes_on()
        return self.reported_on <= day and (closes is None or day < closes)


class OutbreakOutcome(TextChoices):
    OPENED = "outbreaks_opened", "outbreaks opened"
    ADDED = "updates_added", "updates added"
    CORRECTED = "updates_corrected", "updates corrected"
    UNCHANGED = "unchanged", "unchanged"
    AFTER_CLOSURE = "after_closure", "no new cases after an outbreak closed (left alone)"
    OUTSIDE = OUTSIDE, "outside your authorities (left alone)"


class _ImportPlan(Plan):
    def __init__(self) -> None:
        super().__init__()
        self.workings: dict[int, list[_Working]] = {}  # location id -> oldest first
        self.log: list = []

    def changes(self) -> list:
        return self.log


def _counts_of(update: Update) -> Counts:
    return Counts(kind=update.kind, new_cases_residents=update.new_cases_residents,
                  new_cases_staff=update.new_cases_staff, deaths=update.deaths,
                  admissions_closed=update.admissions_closed, notes=update.notes)


class LineListImporter(Importer):
    """A public health line list, all or nothing.

    Each row is one day's update for a service (by CQC location ID). A row on a day when the
    service has an open outbreak updates it (a row for a day already recorded corrects it);
    a row after the service's last outbreak closed, or for a service with none, opens one.
    Importing the same file twice changes nothing the second time.
    """

    kind = "outbreaks"
    label = "public health line lists of outbreaks"
    outcomes = OutbreakOutcome
    quiet = frozenset({OUTSIDE, OutbreakOutcome.AFTER_CLOSURE.value})
    pages = ImportPages("outbreaks:import", "outbreaks:tracker", "Go to the outbreak tracker")
    capability = tenancy.Capability.MANAGE_OUTBREAKS
    title = "Import a public health line list"
    intro = (
        "Upload the situation list public health sends, as CSV, XLSX or ODS: one row per "
        "update, with the columns cqc_location_id, date, suspected_or_confirmed, "
        "new_cases_residents, new_cases_staff and deaths (other common names for them are "
        "understood).",
        "A row for a service with an open outbreak updates it; a row for a service with none "
        "opens one. If any row has a problem, nothing is imported and every problem is listed. "
        "Importing the same file twice changes nothing the second time.",
    )
    file_hint = ("The line list as CSV, XLSX or ODS. You will see what will change before "
                 "anything is saved.")

    def layout(self, fmt: str, headers: list[str]) -> dict[str, str]:
        return line_lists.layout(fmt, headers)

    def parse(self, table):
        return line_lists.parse(table)

    def plan(self, records: list, context: Context) -> _ImportPlan:
        context.progress.start(len(records), "Checking rows")
        plan = _plan_lines(records, context)
        context.progress.finish()
        return plan

    def apply(self, plan, *, user, reason: str, progress: Progress) -> None:
        progress.start(len(plan.workings), "Saving outbreaks")
        _apply_import(plan, user=user, progress=progress)
        progress.finish()

    def reason(self, file_name: str) -> str:
        return "Line list import"


def outbreaks_import(*, data: bytes, file_name: str, user, dry_run: bool,
                     progress: Progress | None = None,
                     expected_fingerprint: str | None = None) -> ImportResult:
    """Import a public health line list, all or nothing (LineListImporter)."""
    return LineListImporter().run(data=data, file_name=file_name, user=user, dry_run=dry_run,
                                  progress=progress, expected_fingerprint=expected_fingerprint)


def _plan_lines(lines: list[line_lists.Line], context: Context) -> _ImportPlan:
    plan = _ImportPlan()
    errors = context.errors
    O = OutbreakOutcome  # noqa: E741, N806
    matches = match_locations("registry.Location", (line.cqc_id for line in lines), ("name",))
    wanted: dict[int, list] = {}
    found: dict[int, Match] = {}
    for line, match in context.checks.matched(lines, matches):
        found[match.pk] = match
        wanted.setdefault(match.pk, []).append(line)
    plan.counts[O.OUTSIDE] = context.checks.outside
    existing: dict[int, list[Outbreak]] = {}
    for ids_q in ids_filters(Outbreak, list(wanted), "location"):
        for outbreak in (Outbreak.objects.filter(ids_q)
                         .prefetch_related("updates", "status_changes")
                         .order_by("reported_on")):
            existing.setdefault(outbreak.location_id, []).append(outbreak)
    thresholds = dict(Thresholds.objects.values_list("authority_id", "de_escalation_days"))
    closures = dict(Thresholds.objects.values_list("authority_id", "closure_days"))
    for location_id, location_lines in wanted.items():
        location = found[location_id]
        location_name = location["name"]
        workings = [_Working(
            outbreak=o, reported_on=o.reported_on, de_escalation_days=o.de_escalation_days,
            closure_days=o.closure_days,
            updates={u.on: _counts_of(u) for u in o.updates.all()},
            overrides=[pathway.Override(c.on, c.status, c.reason)
                       for c in o.status_changes.all() if not c.automatic])
            for o in existing.get(location_id, [])]
        for line in sorted(location_lines, key=lambda item: item.day):
            date_heading = line.date_field
            counts = Counts(kind=line.kind, new_cases_residents=line.new_cases_residents,
                            new_cases_staff=line.new_cases_staff, deaths=line.deaths)
            target = next((w for w in reversed(workings) if w.open_on(line.day)), None)
            if target is None:
                later = [w for w in workings if w.reported_on > line.day]
                if later:
                    errors.append(RowError(line.row, date_heading, (
                        f"{long_date(line.day)} is before the outbreak at {location_name} "
                        f"was reported ({long_date(later[0].reported_on)}), and no outbreak "
                        "was open there that day")))
                    continue
                if workings and not (line.new_cases_residents + line.new_cases_staff):
                    plan.counts[O.AFTER_CLOSURE] += 1  # a closing update: nothing to open
                    continue
                target = _Working(
                    outbreak=None, reported_on=line.day,
                    de_escalation_days=thresholds.get(location.authority_id,
                                                      DE_ESCALATION_DAYS),
                    closure_days=closures.get(location.authority_id, CLOSURE_DAYS),
                    updates={}, overrides=[])
                workings.append(target)
                plan.counts[O.OPENED] += 1
                plan.log.append(["open", line.cqc_id, line.day])
            outbreak_key = target.outbreak.pk if target.outbreak else f"new {target.reported_on}"
            before = target.updates.get(line.day)
            if before is not None:
                counts = Counts(kind=counts.kind,
                                new_cases_residents=counts.new_cases_residents,
                                new_cases_staff=counts.new_cases_staff, deaths=counts.deaths,
                                admissions_closed=before.admissions_closed, notes=before.notes)
                if before == counts:
                    plan.counts[O.UNCHANGED] += 1
                    continue
                plan.counts[O.CORRECTED] += 1
                plan.log.append(["correct", line.cqc_id, outbreak_key, line.day,
                                 asdict(before), asdict(counts)])
            else:
                if target.outbreak is not None or target.updates:
                    plan.counts[O.ADDED] += 1
                plan.log.append(["add", line.cqc_id, outbreak_key, line.day, asdict(counts)])
            target.updates[line.day] = counts
            target.rows[line.day] = line.row
            target.written.add(line.day)
        for earlier, later_one in zip(workings, workings[1:], strict=False):
            closes = earlier.closes_on()
            if earlier.written and (closes is None or closes > later_one.reported_on):
                errors.append(RowError(earlier.rows[max(earlier.written)],
                                       location_lines[0].date_field, (
                    f"this row would keep the outbreak at {location_name} reported on "
                    f"{long_date(earlier.reported_on)} open after the next one was reported "
                    f"({long_date(later_one.reported_on)})")))
        plan.workings[location_id] = workings
    return plan


@transaction.atomic
def _apply_import(plan: _ImportPlan, *, user, progress) -> None:
    for location_id, workings in plan.workings.items():
        progress.advance(1)
        for working in workings:
            if not working.written:
                continue
            outbreak = working.outbreak
            if outbreak is None:
                first_day = min(working.updates)
                first = working.updates[first_day]
                outbreak = save_audited(Outbreak(
                    location_id=location_id, reported_on=working.reported_on,
                    reported_by=Outbreak.ReportedBy.PUBLIC_HEALTH, kind=first.kind,
                    de_escalation_days=working.de_escalation_days,
                    closure_days=working.closure_days, last_case_on=working.reported_on),
                    user=user, reason="Line list import")
            stored = {u.on: u for u in outbreak.updates.all()} if working.outbreak else {}
            for day in sorted(working.written):
                update = stored.get(day) or Update(outbreak=outbreak, on=day)
                for name, value in _update_fields(working.updates[day]).items():
                    setattr(update, name, value)
                update.source, update.recorded_by = Update.Source.IMPORT, actor(user)
                update.recorded_at = timezone.now()
                save_audited(update, user=user, reason="Line list import")
            outbreak_refresh(outbreak=outbreak, user=user)
