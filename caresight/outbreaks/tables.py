"""The outbreak tracker's tables, declared once for its pages, downloads and `export`."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from caresight.core.tables import Book, Button, Column, Kind, Table
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
