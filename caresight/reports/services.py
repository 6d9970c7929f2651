"""Writes for the generated reports: narrative entries, an authority's report settings, and
publishing a report (freezing its figures and files). Validated, atomic and audited."""

import datetime as dt
import functools
import hashlib
import logging
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from caresight.core import tenancy
from caresight.core.audit import delete_audited, save_audited
from caresight.core.email import clean_addresses, queue_email
from caresight.core.report_sections import sections as data_sections
from caresight.core.tenancy import OPERATOR, Capability, actor
from caresight.core.timeutils import long_date

from . import rendering, selectors
from .kinds import kinds, narrative_sections, parse_sections
from .models import (
    LOGO_MAX_BYTES,
    LOGO_TYPES,
    NarrativeEntry,
    PublishedReport,
    ReportSchedule,
    ReportSettings,
    ScheduledRun,
)

MAX_ENTRY_CHARS = 20_000
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
logger = logging.getLogger(__name__)


def _entry_fields(*, section: str, service_area: str, on: dt.date, text: str) -> dict:
    if section not in narrative_sections():
        raise ValidationError({"section": "Choose the section the entry belongs to."})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Enter what the entry says."})
    if len(text) > MAX_ENTRY_CHARS:
        raise ValidationError({"text": f"An entry is at most {MAX_ENTRY_CHARS:,} characters; "
                                       f"this one has {len(text):,}. Split it into two."})
    if on > timezone.localdate():
        raise ValidationError({"on": f"{long_date(on)} is in the future: an entry is for a day "
                                     "that has come."})
    return {"section": section, "service_area": " ".join((service_area or "").split()),
            "on": on, "text": text}


@transaction.atomic
def entry_create(*, user, authority, section: str, on: dt.date, text: str,
                 service_area: str = "") -> NarrativeEntry:
    tenancy.require(user, Capability.WRITE_NARRATIVE, authority)
    fields = _entry_fields(section=section, service_area=service_area, on=on, text=text)
    return save_audited(NarrativeEntry(authority=authority, author=actor(user), **fields),
                        user=user, reason="Narrative entry added")


@transaction.atomic
def entry_update(*, user, entry: NarrativeEntry, section: str, on: dt.date, text: str,
                 service_area: str = "") -> NarrativeEntry:
    fields = _entry_fields(section=section, service_area=service_area, on=on, text=text)
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.updated_at = timezone.now()
    return save_audited(entry, user=user, reason="Narrative entry edited")


@transaction.atomic
def entry_delete(*, user, entry: NarrativeEntry) -> None:
    delete_audited(entry, user=user, reason="Narrative entry removed")


@transaction.atomic
def settings_update(*, user, authority, kind: str, title: str, author_line: str,
                    service_areas: str, sections_text: str, logo=None,
                    remove_logo: bool = False) -> ReportSettings:
    """Save an authority's settings for one kind of report (the sections as `kinds.py`'s
    lines); a logo is a PNG or JPEG of at most 512 kB."""
    tenancy.require(user, Capability.PUBLISH_REPORTS, authority)
    if kind not in kinds():
        raise ValidationError({"kind": "Choose a report."})
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Enter the report's title."})
    try:
        parsed = parse_sections(sections_text or "", known_data=set(data_sections()))
    except ValueError as exc:
        raise ValidationError({"sections_text": str(exc)}) from None
    saved = ReportSettings.objects.select_for_update().filter(authority=authority,
                                                              kind=kind).first()
    saved = saved or ReportSettings(authority=authority, kind=kind)
    saved.title, saved.author_line = title, " ".join((author_line or "").split())
    saved.service_areas = " ".join((service_areas or "").split())
    saved.sections = parsed
    if logo is not None:
        content = logo.read(LOGO_MAX_BYTES + 1)
        content_type = _image_type(content)
        if len(content) > LOGO_MAX_BYTES:
            raise ValidationError({"logo": "The logo must be 512 kB or smaller."})
        if content_type is None:
            raise ValidationError({"logo": "The logo must be a PNG or JPEG image."})
        saved.logo, saved.logo_type = content, content_type
    elif remove_logo:
        saved.logo, saved.logo_type = b"", ""
    saved.updated_at, saved.updated_by = timezone.now(), actor(user)
    return save_audited(saved, user=user, reason="Report settings changed")


def _image_type(content: bytes) -> str | None:
    """The image's type from its first bytes (not from what the upload says it is)."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


assert set(LOGO_TYPES) == {"image/png", "image/jpeg"}  # nosec B101  # _image_type's two


def report_publish(*, user, kind: str, authority_codes, as_of: dt.date,
                   period_from: dt.date | None = None) -> PublishedReport:
    """Build the report from the live data, draw its files, and keep the figures, their hash
    and the files. A report already published for the same kind, area and period is refused:
    it is never rebuilt."""
    authorities = selectors.area_authorities(user, authority_codes,
                                             Capability.PUBLISH_REPORTS)
    figures = selectors.report_figures(user=user, kind=kind, authority_codes=authority_codes,
                                       as_of=as_of, period_from=period_from)
    _refuse_if_published(kind, authorities, dt.date.fromisoformat(figures["period_from"]),
                         as_of)
    settings = selectors.report_settings(authorities[0], kind)
    files = {fmt: rendering.draw(figures, settings, fmt) for fmt in ("html", "pdf", "docx")}
    try:
        with transaction.atomic():
            report = save_audited(PublishedReport(
                kind=kind, area_key=selectors.area_key(authorities),
                area_name=figures["area_name"], title=figures["title"],
                period_from=figures["period_from"], as_of=as_of, figures=figures,
                figures_sha256=selectors.figures_hash(figures), html=files["html"].decode(),
                pdf=files["pdf"], docx=files["docx"],
                pdf_sha256=hashlib.sha256(files["pdf"]).hexdigest(),
                docx_sha256=hashlib.sha256(files["docx"]).hexdigest(),
                published_by=actor(user)), user=user, reason="Report published")
            report.authorities.set(authorities)
    except IntegrityError:  # published by someone else in the meantime
        _refuse_if_published(kind, authorities, dt.date.fromisoformat(figures["period_from"]),
                             as_of)
        raise
    return report


def _refuse_if_published(kind, authorities, period_from: dt.date, as_of: dt.date) -> None:
    existing = selectors.existing_publication(kind, authorities, period_from, as_of)
    if existing is not None:
        when = timezone.localtime(existing.published_at)
        raise ValidationError(
            f"This report ({kinds()[kind].label}, {existing.area_name}, "
            f"{selectors.period_label(period_from, as_of)}) was already published on "
            f"{long_date(when.date())} at {when:%H:%M}. A published report is never rebuilt: "
            "choose another period to publish a new one.")


# --- Schedules, scheduled runs and sending -----------------------------------------------------

LONDON = ZoneInfo("Europe/London")
SCHEDULED_EMAIL_KIND = "scheduled_report"
# A run still waiting (or published but not emailed) this long after it was last touched is
# a worker that stopped or a task that was lost: schedules_run_due queues it again.
STALE_RUN = dt.timedelta(minutes=15)
Frequency = ReportSchedule.Frequency
RunStatus = ScheduledRun.Status


def _schedule_fields(*, authority, kind: str, frequency: str, weekday, day_of_month,
                     time_of_day: dt.time, recipients, joint_with) -> dict:
    if kind not in kinds():
        raise ValidationError({"kind": "Choose a report."})
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": "Choose how often: weekly or monthly."})
    if frequency == Frequency.WEEKLY:
        if weekday is None or str(weekday) == "" or not 0 <= int(weekday) <= 6:
            raise ValidationError({"weekday": "Choose the day of the week it is sent on."})
        weekday, day_of_month = int(weekday), None
    else:
        if day_of_month is None or not 1 <= int(day_of_month) <= 28:
            raise ValidationError({"day_of_month": "Enter the day of the month it is sent on, "
                                                   "from 1 to 28 (so every month has it)."})
        weekday, day_of_month = None, int(day_of_month)
    if time_of_day is None:
        raise ValidationError({"time_of_day": "Enter the time it is sent, such as 08:00."})
    if isinstance(recipients, str):
        recipients = [a for a in recipients.replace(",", "\n").replace(";", "\n").split()]
    cleaned = clean_addresses(recipients, field="recipients")
    if not cleaned:
        raise ValidationError({"recipients": "Enter at least one email address to send the "
                                             "report to."})
    joint = [a for a in joint_with or [] if a.pk != authority.pk]
    return {"kind": kind, "frequency": frequency, "weekday": weekday,
            "day_of_month": day_of_month, "time_of_day": time_of_day.replace(second=0,
                                                                            microsecond=0),
            "recipients": cleaned, "joint": joint}


@transaction.atomic
def schedule_save(*, user, authority, schedule: ReportSchedule | None = None, kind: str,
                  frequency: str, time_of_day: dt.time, recipients, weekday=None,
                  day_of_month=None, joint_with=(), active: bool = True) -> ReportSchedule:
    """Add (or change) a schedule: a report for `authority` (and the authorities of a joint
    area, `joint_with`), built and emailed to `recipients` weekly or monthly. Each address is
    checked now: a malformed one is refused, named."""
    tenancy.require(user, Capability.PUBLISH_REPORTS, authority)
    fields = _schedule_fields(authority=authority, kind=kind, frequency=frequency,
                              weekday=weekday, day_of_month=day_of_month,
                              time_of_day=time_of_day, recipients=recipients,
                              joint_with=joint_with)
    for other in fields["joint"]:
        if not tenancy.allows(user, Capability.PUBLISH_REPORTS, other):
            raise ValidationError({"joint_with": f"You may not publish reports for "
                                                 f"{other.name}."})
    joint = fields.pop("joint")
    creating = schedule is None
    schedule = schedule or ReportSchedule(authority=authority)
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.active = bool(active)
    schedule.updated_at, schedule.updated_by = timezone.now(), actor(user)
    save_audited(schedule, user=user,
                 reason="Report schedule added" if creating else "Report schedule changed")
    schedule.joint_with.set(joint)
    return schedule


def schedule_codes(schedule: ReportSchedule) -> list[str]:
    """The schedule's area: its authority first (whose settings apply), then the others."""
    others = sorted(a.ons_code for a in schedule.joint_with.all())
    return [schedule.authority.ons_code, *others]


def schedule_last_due(schedule: ReportSchedule, now: dt.datetime) -> dt.datetime:
    """The latest moment, at or before `now`, at which the schedule was due (its local time on
    its weekday, or on its day of the month)."""
    local = now.astimezone(LONDON)
    day = local.date()

    def at(on: dt.date) -> dt.datetime:
        return dt.datetime.combine(on, schedule.time_of_day, tzinfo=LONDON)

    if schedule.frequency == Frequency.WEEKLY:
        on = day - dt.timedelta(days=(day.weekday() - (schedule.weekday or 0)) % 7)
        return at(on) if at(on) <= now else at(on - dt.timedelta(days=7))
    on = day.replace(day=schedule.day_of_month or 1)
    if on > day or at(on) > now:
        previous = day.replace(day=1) - dt.timedelta(days=1)
        on = previous.replace(day=schedule.day_of_month or 1)
    return at(on)


def schedule_period(schedule: ReportSchedule, run_day: dt.date) -> tuple[dt.date, dt.date]:
    """The period that had just ended when the schedule ran on `run_day`: weekly, the seven
    days ending the day before; monthly, the previous calendar month."""
    if schedule.frequency == Frequency.WEEKLY:
        return run_day - dt.timedelta(days=7), run_day - dt.timedelta(days=1)
    as_of = run_day.replace(day=1) - dt.timedelta(days=1)
    return as_of.replace(day=1), as_of


def _enqueue_run(run_id: int) -> None:
    from .tasks import run_scheduled_report

    try:
        run_scheduled_report.enqueue(run_id)
    except Exception:  # the run is in the database; the next schedules_run_due queues it again
        logger.exception("Could not queue scheduled report run %s", run_id)


def schedules_run_due(now: dt.datetime | None = None) -> list[ScheduledRun]:
    """Record a run for each active schedule whose time has come since its last run, and queue
    the task that publishes and emails it. Idempotent: a run is one per schedule and report
    date (a unique constraint), so calling this again, or from two schedulers at once, makes
    no second run. Runs left waiting by a worker that stopped are queued again."""
    now = now or timezone.now()
    made: list[ScheduledRun] = []
    due_now = []
    for schedule in ReportSchedule.objects.filter(active=True).select_related("authority"):
        due = schedule_last_due(schedule, now)
        if due >= schedule.created_at:  # else its first time has not come yet
            due_now.append((schedule, due, *schedule_period(schedule,
                                                           due.astimezone(LONDON).date())))
    # Every minute, so the runs already made are read in one query, not one a schedule.
    made_before = set(ScheduledRun.objects.filter(
        schedule__in=[s for s, *_ in due_now], as_of__in={a for *_, a in due_now}
    ).values_list("schedule_id", "as_of"))
    for schedule, due, period_from, as_of in due_now:
        if (schedule.pk, as_of) in made_before:
            continue
        try:
            with transaction.atomic():
                run = save_audited(ScheduledRun(schedule=schedule, due_at=due,
                                                period_from=period_from, as_of=as_of,
                                                created_at=now, updated_at=now),
                                   user=OPERATOR, reason="Scheduled report due")
        except (IntegrityError, ValidationError):  # another scheduler made it just now
            continue
        made.append(run)
        transaction.on_commit(functools.partial(_enqueue_run, run.pk))
    stale = ScheduledRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.BUILT],
                                        updated_at__lt=now - STALE_RUN,
                                        ).exclude(pk__in=[r.pk for r in made])
    stale_pks = list(stale.values_list("pk", flat=True))
    ScheduledRun.objects.filter(pk__in=stale_pks).update(updated_at=now)
    for pk in stale_pks:
        transaction.on_commit(functools.partial(_enqueue_run, pk))
    return made


def _publication(kind: str, codes: list[str], period_from: dt.date, as_of: dt.date
                 ) -> tuple[PublishedReport, bool]:
    """The report published for this kind, area and period: the one already there (someone
    published it), or published now. Returns it and whether it was already there."""
    authorities = selectors.area_authorities(OPERATOR, codes)
    existing = selectors.existing_publication(kind, authorities, period_from, as_of)
    if existing is not None:
        return existing, True
    try:
        return report_publish(user=OPERATOR, kind=kind, authority_codes=codes, as_of=as_of,
                              period_from=period_from), False
    except (ValidationError, IntegrityError):
        existing = selectors.existing_publication(kind, authorities, period_from, as_of)
        if existing is None:
            raise
        return existing, True  # published by someone else in the meantime


def scheduled_run_execute(run_id: int) -> ScheduledRun:
    """The task's work for one run: publish the report (or reuse the publication made
    already), then email it to the schedule's distribution list. Running it again does
    nothing more: the email is queued once, by a conditional UPDATE in the same transaction."""
    run = ScheduledRun.objects.select_related("schedule__authority", "report").get(pk=run_id)
    if run.status == RunStatus.SENT:
        return run
    schedule = run.schedule
    try:
        if run.report is None:
            report, reused = _publication(schedule.kind, schedule_codes(schedule),
                                          run.period_from, run.as_of)
            run.report, run.reused = report, reused
            run.status, run.error, run.updated_at = RunStatus.BUILT, "", timezone.now()
            save_audited(run, user=OPERATOR, reason="Scheduled report published"
                         if not reused else "Scheduled report: already published")
        with transaction.atomic():
            claimed = ScheduledRun.objects.filter(pk=run.pk).exclude(
                status=RunStatus.SENT).update(status=RunStatus.SENT, updated_at=timezone.now())
            if not claimed:
                return ScheduledRun.objects.get(pk=run.pk)
            assert run.report is not None  # nosec B101  # set above
            deliveries = report_email(run.report, schedule.recipients, by=OPERATOR,
                                      kind=SCHEDULED_EMAIL_KIND)
            run.status, run.error, run.recipients = RunStatus.SENT, "", len(deliveries)
            run.updated_at = timezone.now()
            save_audited(run, user=OPERATOR, reason="Scheduled report emailed")
    except Exception as exc:  # noqa: BLE001  # recorded on the run, which is not lost
        logger.exception("Scheduled report run %s failed", run_id)
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else (
            f"{type(exc).__name__}: {exc}")
        failed = ScheduledRun.objects.filter(pk=run.pk).exclude(status=RunStatus.SENT).first()
        if failed is not None:
            failed.status, failed.error = RunStatus.FAILED, message[:2000]
            failed.updated_at = timezone.now()
            save_audited(failed, user=OPERATOR, reason="Scheduled report failed")
    return ScheduledRun.objects.get(pk=run.pk)


def report_file_stem(report: PublishedReport) -> str:
    return slugify(f"{report.figures['kind_label']} {report.area_name} {report.as_of}")


def report_email(report: PublishedReport, recipients, *, by, kind: str = "report") -> list:
    """Queue the published report (PDF and Word attached, a short text body with its title,
    area, period and the figures' SHA-256) to `recipients`, one delivery each."""
    period = selectors.period_label(report.period_from, report.as_of)
    stem = report_file_stem(report)
    text = "\n".join([
        f"{report.title}", "", f"Area: {report.area_name}", f"Reporting period: {period}",
        f"Published: {long_date(timezone.localtime(report.published_at).date())}", "",
        "The report is attached as a PDF and as a Word document.", "",
        f"Figures' SHA-256: {report.figures_sha256}",
        f"PDF SHA-256: {report.pdf_sha256}", f"Word SHA-256: {report.docx_sha256}", "",
        "Sent by Caresight."])
    return queue_email(
        to=list(recipients), subject=f"{report.title}: {report.area_name}, {period}", text=text,
        attachments=[(f"{stem}.pdf", bytes(report.pdf), "application/pdf"),
                     (f"{stem}.docx", bytes(report.docx), DOCX_TYPE)],
        kind=kind, cause=report, by=by, authorities=list(report.authorities.all()))


def report_send(*, user, report: PublishedReport, to=None) -> list:
    """Email a published report to the given addresses, or to the distribution list of its
    schedule(s) for the same report and area. Refused if there is no one to send it to."""
    for authority in report.authorities.all():
        tenancy.require(user, Capability.PUBLISH_REPORTS, authority)
    if to:
        recipients = clean_addresses(to, field="to")
    else:
        recipients = []
        for schedule in ReportSchedule.objects.filter(
                kind=report.kind, active=True,
                authority__ons_code=report.figures["authorities"][0]).prefetch_related(
                "joint_with"):
            if "+".join(sorted(schedule_codes(schedule))) == report.area_key:
                recipients += schedule.recipients
        recipients = clean_addresses(recipients, field="to")
        if not recipients:
            raise ValidationError({"to": f"{report.title} for {report.area_name} has no "
                                         "distribution list (no active schedule for this "
                                         "report and area): give the addresses to send it "
                                         "to."})
    return report_email(report, recipients, by=user)
