"""The tables of action plans and the winter plan, declared once for the pages, the downloads
and `caresight export`. The action table is seed 001's: Action | Description | Timeline | Lead |
Progress, under area headings (in files, the area is the first column, so a file reads back)."""

import datetime as dt

from django.urls import reverse

from caresight.core.tables import Column, Kind, Link, Table
from caresight.core.timeutils import long_date

from .models import COMPLIANCE_COLOURS, RAG_COLOURS, ActionStatus, ComplianceStatus, Rag, Timeline


def timeline_text(row: dict) -> str:
    """"29 May 2020", "Ongoing" or "Established", as the seed's Timeline column says it."""
    if row["timeline"] == Timeline.BY_DATE and row["due_on"]:
        return long_date(row["due_on"])
    return Timeline(row["timeline"]).label if row["timeline"] != Timeline.BY_DATE else ""


def _action_url(row: dict) -> str:
    return reverse("plans:action", args=[row["action_id"]])


def _progress_hint(row: dict) -> str | None:
    return f"Updated {long_date(row['progress_on'])}" if row["progress_on"] else None


AREA = Column("area", "Area", page=False)
ACTION_COLUMNS = [
    Column("title", "Action", link=_action_url, row_header=True,
           tag=lambda row: "Overdue" if row["overdue"] else None, tag_tone="red"),
    Column("description", "Description"),
    Column("timeline", "Timeline", value=timeline_text),
    Column("leads", "Lead"),
    Column("progress", "Progress", hint=_progress_hint),
    Column("owner", "Owner", page=False),
    Column("status", "Status", choices=ActionStatus),
    Column("rag", "RAG", choices=Rag, tag_colour=RAG_COLOURS.get),
    Column("progress_on", "Progress dated", kind=Kind.DATE, page=False),
    Column("started_on", "Started", kind=Kind.DATE, page=False),
]
# The file's headings, which the import reads back (importing.py).
FILE_HEADERS = ["Area", "Action", "Description", "Timeline", "Lead", "Progress", "Owner",
                "Status", "RAG", "Progress dated", "Started"]


def action_plan_table(rows: list[dict], *, title: str, as_of: dt.date) -> Table:
    """A plan's whole action table, for downloads (the page shows one table per area)."""
    return Table(columns=[AREA, *ACTION_COLUMNS], rows=rows, title=title,
                 caption=f"{title}: actions and progress on {long_date(as_of)}",
                 empty_message="The plan has no actions yet.")


def area_tables(rows: list[dict], *, areas: list[str], as_of: dt.date) -> list[Table]:
    """One page table per area, in the plan's order (an area without actions says so)."""
    return [Table(columns=ACTION_COLUMNS, rows=[r for r in rows if r["area"] == area],
                  title=area, caption=area, caption_size="m",
                  empty_message=f"No actions had started by {long_date(as_of)}.")
            for area in areas]


PLAN_COLUMN = Column("plan", "Plan", link=lambda row: reverse("plans:plan", args=[row["plan_id"]]))


def overdue_table(rows: list[dict], *, as_of: dt.date) -> Table:
    return Table(columns=[
        PLAN_COLUMN, Column("area", "Area"),
        Column("title", "Action", link=_action_url),
        Column("due_on", "Due", kind=Kind.DATE), Column("leads", "Lead"),
        Column("owner", "Owner"), Column("status", "Status", choices=ActionStatus),
        Column("rag", "RAG", choices=Rag, tag_colour=RAG_COLOURS.get),
    ], rows=rows, title="Overdue actions", caption=f"Actions overdue on {long_date(as_of)}",
        empty_message=f"No action was overdue on {long_date(as_of)}.")


def export_table(rows: list[dict], *, as_of: dt.date) -> Table:
    """Every plan's actions (`caresight export action-plan`)."""
    return Table(columns=[Column("plan", "Plan"), AREA, *ACTION_COLUMNS], rows=rows,
                 title="Action plans", caption=f"Actions on {long_date(as_of)}")


def updates_table(updates) -> Table:
    return Table(columns=[
        Column("on", "Date", kind=Kind.DATE),
        Column("text", "Progress"),
        Column("status", "Status", choices=ActionStatus),
        Column("rag", "RAG", choices=Rag, tag_colour=RAG_COLOURS.get),
        Column("created_by", "Recorded by", value=lambda u: str(u.created_by or "System")),
    ], rows=list(updates), title="Progress", caption="Progress, newest first",
        empty_message="No progress has been recorded yet.")


# --- The winter plan ------------------------------------------------------------------------


def _response_url(row: dict) -> str:
    return reverse("plans:winter-response", args=[row["authority_code"], row["requirement"]])


WINTER_COLUMNS = [
    Column("authority", "Authority"),
    Column("area", "Area"),
    Column("text", "Requirement", link=_response_url),
    Column("national_due", "Deadline", kind=Kind.DATE),
    Column("status", "Status", choices=ComplianceStatus, tag_colour=COMPLIANCE_COLOURS.get),
    Column("owner", "Owner"),
    Column("due_on", "Local due date", kind=Kind.DATE),
    Column("local_actions", "Local actions"),
    Column("evidence", "Evidence", bullets=True),
    Column("updated_on", "Last updated", kind=Kind.DATE),
    Column("requirement", "Requirement code", page=False),
]


def winter_table(rows: list[dict], *, title: str, as_of: dt.date, page: bool = False) -> Table:
    columns = WINTER_COLUMNS
    if page:  # the page shows one authority and one area at a time
        columns = [c for c in WINTER_COLUMNS if c.key not in ("authority", "area")]
    return Table(columns=columns, rows=rows, title=title,
                 caption=f"{title} on {long_date(as_of)}")


def compliance_table(rows: list[dict], *, as_of: dt.date) -> Table:
    return Table(columns=[
        Column("area", "Area", row_header=True),
        *[Column(s.value, s.label, kind=Kind.WHOLE, total=True) for s in ComplianceStatus],
        Column("total", "Requirements", kind=Kind.WHOLE, total=True),
    ], rows=rows, title="Compliance by area",
        caption=f"Requirements by status on {long_date(as_of)}")


def evidence_table(items, *, can_download) -> Table:
    def links(item):
        if item.file_name and can_download:
            return [Link(f"Download {item.file_name}",
                         reverse("plans:winter-evidence", args=[item.pk]))]
        return []

    return Table(columns=[
        Column("title", "Evidence", link=lambda i: i.url or None, links=links),
        Column("added_on", "Added", kind=Kind.DATE),
    ], rows=list(items), title="Evidence", empty_message="No evidence has been added yet.")


def winter_updates_table(updates) -> Table:
    """A response's dated history, newest first."""
    return Table(columns=[
        Column("on", "Date", kind=Kind.DATE),
        Column("status", "Status", choices=ComplianceStatus, tag_colour=COMPLIANCE_COLOURS.get),
        Column("owner", "Owner"),
        Column("due_on", "Local due date", kind=Kind.DATE),
        Column("local_actions", "Local actions"),
        Column("created_by", "Recorded by", value=lambda u: str(u.created_by or "System")),
    ], rows=list(updates), title="History", caption="How it stood, newest first",
        empty_message="Nothing has been recorded yet.")
