"""The reports app's own tables: narrative entries and published reports."""

from django.urls import reverse

from caresight.core.tables import Column, Kind, Link, Table

from .kinds import kinds, narrative_sections
from .selectors import period_label


def entries_table(entries, *, can_write: bool) -> Table:
    sections = narrative_sections()
    return Table(columns=[
        Column("on", "Date", kind=Kind.DATE, row_header=True),
        Column("authority", "Council", value="authority.name"),
        Column("section", "Section", value=lambda e: sections.get(e.section, e.section)),
        Column("service_area", "Service area", empty="–"),
        Column("text", "Entry", value=lambda e: e.text if len(e.text) <= 160
               else e.text[:157] + "…"),
        Column("author", "Author", value=lambda e: str(e.author) if e.author else "System"),
        Column("links", "Actions", header_hidden=True, download=False, value=lambda e: "",
               empty="",
               links=lambda e: ([Link("Edit", reverse("reports:entry-edit", args=[e.pk]),
                                      hidden=f" the entry of {e.on:%d %B %Y}")]
                                if can_write else [])
               + [Link("History", reverse("reports:entry-history", args=[e.pk]),
                       hidden=f" of the entry of {e.on:%d %B %Y}")], links_inline=True),
    ], rows=entries, title="Narrative entries", key="narrative_entries",
        empty_message="No narrative entries in this period.", testid="entries")


def published_table(reports, *, title: str = "Published reports") -> Table:
    labels = {key: kind.label for key, kind in kinds().items()}
    return Table(columns=[
        Column("title", "Report", row_header=True,
               value=lambda r: labels.get(r.kind, r.kind),
               link=lambda r: reverse("reports:published", args=[r.pk]),
               hint=lambda r: r.title),
        Column("area_name", "Area"),
        Column("period", "Reporting period",
               value=lambda r: period_label(r.period_from, r.as_of)),
        Column("published_at", "Published", kind=Kind.DATETIME),
        Column("published_by", "By",
               value=lambda r: str(r.published_by) if r.published_by else "System"),
    ], rows=reports, title=title, key="published_reports",
        empty_message="No report has been published yet.", testid="published")


def schedule_when(schedule) -> str:
    """“Every Monday at 08:00”, “On day 3 of every month at 07:30”."""
    at = schedule.time_of_day.strftime("%H:%M")
    if schedule.frequency == "weekly":
        return f"Every {dict(schedule.WEEKDAYS).get(schedule.weekday, '')} at {at}"
    return f"On day {schedule.day_of_month} of every month at {at}"


def schedules_table(schedules) -> Table:
    labels = {key: kind.label for key, kind in kinds().items()}
    return Table(columns=[
        Column("kind", "Report", row_header=True, value=lambda s: labels.get(s.kind, s.kind),
               link=lambda s: reverse("reports:schedule-edit", args=[s.pk]),
               hint=lambda s: ("With " + ", ".join(a.name for a in s.joint_with.all())
                               if s.joint_with.all() else None)),
        Column("when", "When (UK time)", value=schedule_when),
        Column("recipients", "Distribution list", value=lambda s: list(s.recipients),
               bullets=True),
        Column("active", "Sending", value=lambda s: "Yes" if s.active else "No (paused)"),
        Column("links", "Actions", header_hidden=True, download=False, value=lambda s: "",
               empty="",
               links=lambda s: [Link("History", reverse("reports:schedule-history",
                                                        args=[s.pk]),
                                     hidden=f" of the {labels.get(s.kind, s.kind).lower()} "
                                            "schedule")]),
    ], rows=schedules, title="Report schedules", caption_hidden=True, key="report_schedules",
        empty_message="No report is sent on a schedule yet.", testid="schedules")


def runs_table(runs) -> Table:
    labels = {key: kind.label for key, kind in kinds().items()}
    return Table(columns=[
        Column("due_at", "Due", kind=Kind.DATETIME, row_header=True),
        Column("kind", "Report", value=lambda r: labels.get(r.schedule.kind, r.schedule.kind),
               link=lambda r: (reverse("reports:published", args=[r.report_id])
                               if r.report_id else None)),
        Column("period", "Reporting period",
               value=lambda r: period_label(r.period_from, r.as_of)),
        Column("status", "Status", value=lambda r: r.get_status_display(),
               hint=lambda r: r.error or ("Already published: that publication was sent"
                                          if r.reused else None)),
        Column("recipients", "Recipients", kind=Kind.WHOLE),
    ], rows=runs, title="Scheduled runs", caption_hidden=True, key="scheduled_runs",
        empty_message="No scheduled report has been due yet.", testid="runs")


def deliveries_table(deliveries) -> Table:
    return Table(columns=[
        Column("recipient", "Recipient", row_header=True),
        Column("status", "Status", value=lambda d: d.get_status_display(),
               tag_colour=lambda v: {"Sent": "green", "Failed": "red"}.get(v, "blue")),
        Column("reason", "Reason", value=lambda d: d.last_error, empty="–"),
        Column("attempts", "Attempts", kind=Kind.WHOLE),
        Column("queued_at", "Queued", kind=Kind.DATETIME),
        Column("sent_at", "Sent", kind=Kind.DATETIME, empty="–"),
    ], rows=deliveries, title="Emails of this report", key="report_deliveries",
        empty_message="This report has not been emailed.", testid="deliveries")
