"""The outbreak tracker's tables, declared once for its pages, downloads and `export`."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from caresight.core.tables import Book, Button, Column, Kind, Link, Table
from caresight.core.timeutils import long_date

from .models import Kind as OutbreakKind
from .selectors import LISTS

# The tracker's rows (selectors.tracker_rows): every download of a list and the export.
TRACKER_COLUMNS = [
    Column("cqc_location_id", "CQC location ID", page=False),
    Column("name", "Service", link=lambda r: reverse("outbreaks:detail", args=[r["outbreak_id"]]),
           hint=lambda r: f"{r['provider']} · {OutbreakKind(r['kind']).label}"),
    Column("provider", "Provider", page=False),
    Column("authority", "Authority", page=False),
    Column("locality", "Locality"),
    Column("service_type", "Type of service", page=False),
    Column("status_label", "Status"),
    Column("kind", "Suspected or confirmed", choices=OutbreakKind, page=False),
    Column("reported_on", "Reported", kind=Kind.DATE),
    Column("last_case_on", "Last new case", kind=Kind.DATE),
    Column("closed_on", "Closed", kind=Kind.DATE),
    Column("lists", "Lists", choices=LISTS, page=False),
]


def tracker_table(rows, *, title: str) -> Table:
    return Table(columns=TRACKER_COLUMNS, rows=rows, title=title, caption_size="s",
                 caption_hidden=True, testid="outbreak-list", empty_message="None.")


FIGURES = [
    ("on_tracker", "Overall number of services on tracker"),
    ("de_escalation", "Number on de-escalation pathway"),
    ("live", "Number live being supported"),
    ("closed", "Number of services closed and removed from tracker"),
    ("new", "New outbreaks"),
    ("providers", "Overall number of providers"),
]


def tracker_book(summary: dict, rows: list[dict], *, as_of, since, list_url) -> Book:
    """The outbreak update as people circulate it: the figures, by locality, and the rows.

    `list_url(name)` links a figure on the page to its list."""
    figures = Table(columns=[
        Column("figure", "Figure", row_header=True),
        Column("services", "Services", kind=Kind.WHOLE,
               link=lambda r: list_url(r["key"]) if r["key"] in LISTS else None,
               testid=lambda r: r["key"]),
    ], rows=[{"key": key, "figure": label, "services": summary[key]} for key, label in FIGURES],
        title="Outbreak update", key="figures", testid="tracker-summary",
        caption=f"Outbreaks on {long_date(as_of)} (closed and new: since {long_date(since)})")
    by_locality = Table(columns=[
        Column("locality", "Locality", row_header=True, hint=lambda r: r["authority"]),
        Column("authority", "Authority", page=False),
        Column("on_tracker", "On tracker", kind=Kind.WHOLE, total=True),
        Column("live", "Live", kind=Kind.WHOLE, total=True),
        Column("de_escalation", "De-escalation", kind=Kind.WHOLE, total=True),
        Column("closed", "Closed", kind=Kind.WHOLE, total=True),
        Column("new", "New", kind=Kind.WHOLE, total=True),
    ], rows=summary["by_locality"], title="Numbers by locality", key="by_locality",
        testid="by-locality", empty_message="No outbreaks in this period.")
    return Book(title=f"Outbreak tracker {as_of.isoformat()}",
                tables=[figures, by_locality, Table(columns=TRACKER_COLUMNS, rows=rows,
                                                    title="Outbreaks", key="outbreaks")])


def thresholds_table(rows) -> Table:
    return Table(columns=[
        Column("authority", "Authority", value=lambda r: r[0].name, row_header=True),
        Column("de_escalation", "De-escalation after (days)", kind=Kind.WHOLE,
               value=lambda r: r[1]),
        Column("closure", "Closure after (days)", kind=Kind.WHOLE, value=lambda r: r[2]),
        Column("change", "Change", value=lambda r: "Change", header_hidden=True,
               link=lambda r: reverse("outbreaks:thresholds-edit", args=[r[0].ons_code]),
               hidden=lambda r: f" thresholds for {r[0].name}"),
    ], rows=rows, title="Thresholds by authority", caption_size="s", caption_hidden=True)


def location_outbreaks_table(location, outbreaks, *, today: dt.date | None = None) -> Table:
    """A service's outbreaks, each linked to its page; a closure ahead is expected, not done."""
    today = today or timezone.localdate()
    return Table(columns=[
        Column("reported_on", "Reported", kind=Kind.DATE,
               link=lambda o: reverse("outbreaks:detail", args=[o.pk])),
        Column("kind", "Suspected or confirmed", choices=OutbreakKind),
        Column("last_case_on", "Last new case", kind=Kind.DATE),
        Column("closure", "Closure", value=lambda o: o.closure_text(today)),
    ], rows=outbreaks, title=f"Outbreaks at {location.name}", caption_size="s",
        caption_hidden=True, testid="outbreaks", empty_message="No outbreaks recorded.")


def imt_actions_table(actions, *, today, can_manage: bool) -> Table:
    """An IMT meeting's actions: overdue ones tagged, and a button to mark one done for those
    who manage outbreaks."""
    return Table(columns=[
        Column("description", "Action"),
        Column("owner", "Owner"),
        Column("due_on", "Due", kind=Kind.DATE, tag_tone="red",
               tag=lambda a: "Overdue" if not a.done_on and a.due_on < today else None),
        Column("done_on", "Done", kind=Kind.DATE, empty="" if can_manage else "Not yet",
               button=lambda a: None if a.done_on or not can_manage else Button(
                   "Mark done", reverse("outbreaks:imt-action-done", args=[a.pk]),
                   f": {a.description}")),
    ], rows=actions, title="Actions", testid="actions", empty_message="No actions yet.")


def recorded_by(entry) -> str:
    """Who recorded an update or a status change: a person, an import, the API or Caresight
    (a change worked out from the days since the last new case)."""
    if entry.recorded_by:
        who = str(entry.recorded_by)
    elif getattr(entry, "source", "") == "import":
        who = "An import"
    elif getattr(entry, "source", "") == "api":
        who = "An API client"
    elif getattr(entry, "automatic", False):
        who = "Caresight"
    else:
        who = "Not known"
    if getattr(entry, "source", "") and entry.source != "form":
        who += f" ({entry.get_source_display()})"
    return who


EXPECTED = {"closed": "Expected to close on", "de_escalation": "Expected to de-escalate on"}


def status_changes_table(changes, *, today: dt.date) -> Table:
    """An outbreak's dated status changes; one still ahead reads as expected, never as done."""
    def when(change) -> str:
        if change.on > today:
            return (f"{EXPECTED.get(change.status, 'Expected from')} {long_date(change.on)}, "
                    "if no new case")
        return long_date(change.on)

    return Table(columns=[
        Column("on", "From", value=when),
        Column("status", "Status", value=lambda c: c.get_status_display()),
        Column("how", "How", value=lambda c: "Days since the last new case" if c.automatic
               else f"Set by hand: {c.reason}"),
        Column("recorded_by", "Recorded by", value=recorded_by,
               hint=lambda c: f"on {long_date(timezone.localdate(c.recorded_at))}"
               if c.recorded_at else None),
    ], rows=changes, title="Status", testid="status-changes", empty_message="None recorded.")


def updates_table(outbreak, updates, *, can_manage: bool) -> Table:
    """An outbreak's dated updates, with who recorded each and, for those who manage
    outbreaks, a link to correct it."""
    def correct(update):
        if not can_manage:
            return []
        return [Link("Correct", reverse("outbreaks:update-correct",
                                        args=[outbreak.pk, update.on.isoformat()]),
                     hidden=f" the update of {long_date(update.on)}")]

    def hint(update) -> str | None:
        parts = [f"on {long_date(timezone.localdate(update.recorded_at))}"
                 if update.recorded_at else "", update.notes]
        return " · ".join(p for p in parts if p) or None

    return Table(columns=[
        Column("on", "Date", kind=Kind.DATE),
        Column("kind", "Suspected or confirmed", choices=OutbreakKind),
        Column("new_cases_residents", "New cases (residents)", kind=Kind.WHOLE),
        Column("new_cases_staff", "New cases (staff)", kind=Kind.WHOLE),
        Column("deaths", "Deaths", kind=Kind.WHOLE),
        Column("recorded_by", "Recorded by", value=recorded_by, hint=hint, links=correct),
    ], rows=updates, title="Updates", testid="updates", empty_message="None recorded.")
