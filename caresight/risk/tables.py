"""The risk log's tables, declared once for the pages, every download and `caresight export`.

Machine keys (JSON) are those of docs/data-formats.md, "Risk log"; people read the headers and
labels ("Red", "Care home with nursing", "4 June 2020").
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from caresight.core.tables import Column, Kind, Link, Table
from caresight.core.timeutils import long_date

from . import selectors
from .models import Rating

TAG_COLOURS = {Rating.RED: "red", Rating.AMBER: "orange", Rating.GREEN: "green"}
RATING_LABELS = dict(Rating.choices)


def _why(row: dict) -> list[str] | str:
    """Each rule that fired, as the page lists them."""
    return ([f"{f['label']} ({f['rating']}): {f['why']}" for f in row["fired"]]
            or "No rule applies.")


def _reasons(row: dict) -> str:
    """Each rule that fired, for a file: "Low PPE stock: Under 7 days of gloves."."""
    return "; ".join(f"{f['label']}: {f['why']}" for f in row["fired"])


def _override_note(row: dict) -> str | None:
    if not row["override_reason"]:
        return None
    rules_say = RATING_LABELS.get(row["computed_rating"], row["computed_rating"]).lower()
    return (f"Overridden (the rules say {rules_say}) until "
            f"{long_date(row['override_expires_on'])}: {row['override_reason']}")


def _location_url(row: dict) -> str:
    return reverse("risk:location", args=[row["location_id"]])


RATING = Column("rating", "Rating", choices=Rating, tag_colour=TAG_COLOURS.get)
WHY = Column("why", "Why", value=_why, bullets=True, hint=_override_note, download=False)
# The columns only in files, in the documented order.
FILE_COLUMNS = [
    Column("cqc_location_id", "CQC location ID", page=False),
    Column("provider", "Provider", page=False),
    Column("authority", "Authority", page=False),
    Column("locality", "Locality", page=False),
    Column("service_type", "Type of service", page=False),
    Column("reasons", "Reasons", value=_reasons, page=False),
    Column("override_reason", "Override reason", page=False),
    Column("override_expires_on", "Override ends", kind=Kind.DATE, page=False),
    Column("computed_rating", "Rating by the rules", choices=Rating, page=False),
    Column("score", "Priority score", kind=Kind.WHOLE, page=False),
]
LOG_COLUMNS = [
    RATING,
    Column("name", "Service", link=_location_url,
           hint=lambda row: f"{row['provider']} · {row['locality']} · {row['service_type']}"),
    WHY,
    *FILE_COLUMNS,
]
PRIORITY_COLUMNS = [
    Column("priority", "Priority", kind=Kind.WHOLE),
    RATING,
    Column("name", "Service", link=_location_url, hint=lambda row: row["locality"]),
    WHY,
    *FILE_COLUMNS,
]


def risk_log_table(rows: list[dict], *, as_of: dt.date) -> Table:
    """The risk log: every service (or the page's first rows), red first."""
    return Table(columns=LOG_COLUMNS, rows=rows, title="Risk log",
                 caption=f"Services by rating on {long_date(as_of)}, red first",
                 caption_size="s", caption_hidden=True, testid="risk-log",
                 empty_message="No services.")


def priorities_table(rows: list[dict], *, as_of: dt.date) -> Table:
    """Whom to support or test first, numbered by their place (from 1)."""
    return Table(columns=PRIORITY_COLUMNS,
                 rows=[{"priority": place, **row} for place, row in enumerate(rows, 1)],
                 title="Whom to support first",
                 caption=f"Services in order of priority on {long_date(as_of)}",
                 caption_size="s", caption_hidden=True, testid="priorities",
                 empty_message="No red or amber services.")


def risk_log_export(*, authority_codes: list[str], date_from: dt.date | None = None,
                    date_to: dt.date | None = None) -> Table:
    """For `caresight export risk-log`: the log on `date_to` (default today), every service."""
    as_of = date_to or timezone.localdate()
    return risk_log_table(selectors.risk_log_rows(authority_codes=authority_codes,
                                                  as_of=as_of), as_of=as_of)


# --- A service's page and the rules ---------------------------------------------------------

def _concern_closed(concern) -> str:
    if not concern.closed_on:
        return ""
    note = f": {concern.closing_note}" if concern.closing_note else ""
    return f"{long_date(concern.closed_on)}{note}"


def concerns_table(concerns, *, can_manage: bool) -> Table:
    """A service's quality concerns; an open one links to closing it for those who may."""
    def close_url(concern) -> str | None:
        return (reverse("risk:concern-close", args=[concern.pk])
                if can_manage and not concern.closed_on else None)

    return Table(columns=[
        Column("raised_on", "Raised", kind=Kind.DATE),
        Column("summary", "Concern", hint=lambda c: c.get_source_display()),
        Column("closed", "Closed",
               value=lambda c: _concern_closed(c) or ("Close" if can_manage else "Open"),
               link=close_url,
               hidden=lambda c: f" the concern: {c.summary}" if close_url(c) else ""),
    ], rows=concerns, title="Quality concerns", testid="concerns",
        empty_message="None recorded.")


def overrides_table(overrides) -> Table:
    return Table(columns=[
        Column("starts_on", "From", kind=Kind.DATE),
        Column("expires_on", "Until", kind=Kind.DATE),
        Column("rating", "Rating", choices=Rating),
        Column("reason", "Reason",
               hint=lambda o: f"({o.created_by or 'the operator'})"),
    ], rows=overrides, title="Overrides", testid="overrides", empty_message="None.")


def saved_ratings_table(saved) -> Table:
    """A service's ratings in the logs officers saved, newest first."""
    return Table(columns=[
        Column("as_of", "Log of", kind=Kind.DATE, value="log.as_of"),
        Column("rating", "Rating", choices=Rating),
        Column("why", "Why", value=lambda s: "; ".join(f["label"] for f in s.fired)),
    ], rows=saved, title="In saved risk logs", testid="saved-ratings",
        empty_message="Not in a saved log yet.")


def policy_table(authority, policy, rules) -> Table:
    """An authority's risk rules as it set them, and how many amber reasons make red."""
    rows: list[dict] = []
    for rule in rules:
        setting = policy.settings.get(rule.code)
        if setting is None:
            continue
        rows.append({
            "rule": rule.label, "used": "Yes" if setting.enabled else "No",
            "rating": capfirst(str(setting.rating)),
            "threshold": f"{rule.threshold_label} {setting.threshold}"
            if setting.threshold is not None else None})
    rows.append({"rule": "Amber reasons that make red",
                 "used": str(policy.ambers_make_red) if policy.ambers_make_red else "Never",
                 "span": 3})
    return Table(columns=[
        Column("rule", "Rule", row_header=True),
        Column("used", "Used", span=lambda row: row.get("span", 1)),
        Column("rating", "Rating"),
        Column("threshold", "Threshold"),
    ], rows=rows, title=authority.name, caption_link=Link(
        "Change", reverse("risk:policy-edit", args=[authority.ons_code]),
        f" the rules for {authority.name}"))
