"""The register, decisions and business cases as tables: pages, downloads and `export`."""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language

from caresight.core.tables import Column, Kind, Link, Table
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import long_date

from . import scoring, selectors
from .models import CaseStatus, Category, FundingSource, MitigationStatus, RiskStatus


def mitigation_line(mitigation) -> str:
    """"description (owner, status, due date)", as one line of seed 000's Mitigations."""
    parts = [mitigation.owner] if mitigation.owner else []
    parts.append(MitigationStatus(mitigation.status).label)
    if mitigation.due_on:
        parts.append(f"due {long_date(mitigation.due_on)}")
    return f"{mitigation.description} ({', '.join(parts)})"


def _risk_cell(row) -> str:
    risk = row.risk
    return f"{risk.title}\n{risk.description}" if risk.description else risk.title


_MARKER = "2147483647"  # a record ID no row has: where the ID goes in a reversed URL


@lru_cache(maxsize=64)
def _around_pk(name: str, urlconf, script_prefix: str, language: str) -> tuple[str, str]:
    """The reversed URL of `name` before and after its record ID (`reverse` reads the URL
    conf, script prefix and language itself; they are the cache key)."""
    before, _, after = reverse(name, args=[int(_MARKER)]).rpartition(_MARKER)
    return before, after


def _pk_url(name: str, pk: int) -> str:
    """`reverse(name, args=[pk])` for a URL whose last part is the record ID, at a fraction
    of the cost: a register or decision list has a link a row, and one reverse() each was a
    tenth of the page's time (bench/plans_governance.py)."""
    before, after = _around_pk(name, get_urlconf(), get_script_prefix(), get_language())
    return f"{before}{int(pk)}{after}"


def _detail(row) -> str:
    return _pk_url("governance:risk-detail", row.risk.pk)


def _band_colour(label):
    return scoring.band_colour(label) if label else None


# Seed 000's shape first (Risks | Mitigations | Residual Risk), then the scores.
REGISTER_COLUMNS = [
    Column("reference", "Reference", value="risk.reference", link=_detail, row_header=True,
           download=False),
    Column("title", "Risk", value="risk.title", download=False,
           hint=lambda r: Category(r.risk.category).label),
    Column("risks", "Risks", value=_risk_cell, page=False),
    Column("mitigations", "Mitigations", page=False,
           value=lambda r: "\n".join(mitigation_line(m) for m in r.mitigations)),
    Column("mitigation_list", "Mitigations", bullets=True, download=False,
           value=lambda r: [mitigation_line(m) for m in r.mitigations] or None,
           empty="Not recorded"),
    Column("residual_risk", "Residual Risk", value="review.residual_narrative"),
    Column("inherent_score", "Inherent score", kind=Kind.WHOLE, value="score"),
    Column("residual_score", "Residual score", kind=Kind.WHOLE, value="residual_score"),
    Column("band", "Band", value="band", tag_colour=_band_colour),
    Column("owner", "Owner", value="risk.owner", empty="Not recorded"),
    Column("next_review", "Next review", kind=Kind.DATE, value="review.next_review_on",
           empty="Not set", tag=lambda r: "Overdue" if r.overdue else None, tag_tone="red"),
    # After the seed's columns, so a file row can be matched to the register.
    Column("reference_code", "Reference", value="risk.reference", page=False),
    Column("category", "Category", value="risk.category", choices=Category, page=False),
    Column("authority", "Authority", value="risk.authority.name", page=False),
]


def register_table(rows, *, as_of: dt.date) -> Table:
    return Table(columns=REGISTER_COLUMNS, rows=rows, title=f"Risk register, {long_date(as_of)}",
                 key="risk_register", empty_message="No open risks on that day.",
                 testid="register")


def due_table(rows, *, as_of: dt.date) -> Table:
    return Table(columns=[
        Column("reference", "Reference", value="risk.reference", link=_detail, row_header=True),
        Column("title", "Risk", value="risk.title"),
        Column("owner", "Owner", value="risk.owner", empty="Not recorded"),
        Column("residual_score", "Residual score", kind=Kind.WHOLE, value="residual_score"),
        Column("band", "Band", value="band", tag_colour=_band_colour),
        Column("next_review", "Next review", kind=Kind.DATE, value="review.next_review_on"),
        Column("overdue", "Overdue", value="overdue"),
    ], rows=rows, title=f"Risks due or overdue for review, {long_date(as_of)}", key="risks_due",
        empty_message="No risk is due for review in the next week.", testid="due")


@dataclass(frozen=True)
class HeatCell:
    """One square of the heat map: how many risks, and the band its score falls in."""

    count: int
    score: int
    band: str

    def __str__(self) -> str:
        return f"{self.count} · {self.band}"


def heat_map_table(grid: list[dict], *, residual: bool) -> Table:
    """The 5×5 heat map as a table: a row per likelihood, a column per impact; each square
    says its count and band in words and is coloured by band."""
    def square(impact: int):
        def read(row: dict) -> HeatCell:
            value = row["likelihood"] * impact
            return HeatCell(row["counts"][impact], value, scoring.band(value))
        return read

    def likelihood(row: dict) -> str:
        return f"{row['likelihood']} {scoring.LIKELIHOOD_LABELS[row['likelihood']]}"

    columns = [Column("likelihood", "Likelihood", row_header=True, value=likelihood)]
    columns += [Column(f"impact_{impact}", f"Impact {impact} {scoring.IMPACT_LABELS[impact]}",
                       value=square(impact),
                       tag_colour=lambda cell: scoring.band_colour(cell.band))
                for impact in scoring.SCALE]
    which = "Residual" if residual else "Inherent"
    return Table(columns=columns, rows=grid, title=f"{which} risk: likelihood by impact",
                 testid="heat-map")


def reviews_table(reviews) -> Table:
    return Table(columns=[
        Column("reviewed_on", "Reviewed", kind=Kind.DATE, row_header=True),
        Column("score", "Inherent score", kind=Kind.WHOLE,
               hint=lambda r: f"Likelihood {r.likelihood} × impact {r.impact}"),
        Column("residual_score", "Residual score", kind=Kind.WHOLE,
               hint=lambda r: f"Likelihood {r.residual_likelihood} × impact {r.residual_impact}"),
        Column("band", "Band", value=lambda r: scoring.band(r.residual_score),
               tag_colour=_band_colour),
        Column("residual_narrative", "Residual risk", empty=""),
        Column("residual_reason", "Why above inherent", empty=""),
        Column("target_score", "Target", kind=Kind.WHOLE, empty="None"),
        Column("next_review_on", "Next review", kind=Kind.DATE, empty="Not set"),
        Column("status", "Status", choices=RiskStatus),
        Column("note", "Note", empty=""),
    ], rows=reviews, title="Reviews", empty_message="Not yet reviewed.", testid="reviews")


def mitigations_table(mitigations, *, can_manage: bool, title: str = "Mitigations") -> Table:
    columns = [
        Column("description", "Mitigation", row_header=True),
        Column("owner", "Owner", empty="Not recorded"),
        Column("status", "Status", choices=MitigationStatus),
        Column("started_on", "Started", kind=Kind.DATE),
        Column("due_on", "Due", kind=Kind.DATE, empty="No date"),
    ]
    if can_manage:
        columns.append(Column("change", "Change", header_hidden=True, download=False,
                              value=lambda m: "",
                              links=lambda m: [Link("Change", reverse(
                                  "governance:mitigation-edit", args=[m.pk]),
                                  hidden=f" mitigation {m.description[:40]}")]))
    return Table(columns=columns, rows=mitigations, title=title,
                 empty_message="No mitigations recorded.", testid="mitigations")


# --- Decisions ---------------------------------------------------------------------------------


def _related(row: dict) -> list[str]:
    """A decision row's related plan, risk and round (selectors.decision_rows)."""
    out = []
    if row["related_plan__name"]:
        out.append(f"Plan: {row['related_plan__name']}")
    if row["related_risk__reference"]:
        out.append(f"Risk: {row['related_risk__reference']} {row['related_risk__title']}")
    if row["related_round__name"]:
        out.append(f"Round: {row['related_round__name']}")
    return out


# The columns of decision rows (selectors.decision_rows: plain values, not models).
DECISION_COLUMNS = [
    Column("decided_on", "Date", kind=Kind.DATE),
    Column("title", "Decision", row_header=True,
           link=lambda d: _pk_url("governance:decision-detail", d["pk"])),
    Column("decided_by", "Decided by"),
    Column("key_decision", "Key decision", choices={True: "Yes", False: "No"}),
    Column("related", "Related to", value=lambda d: _related(d) or None, bullets=True,
           empty="Not recorded"),
    Column("financial_implications", "Financial implications", empty="Not recorded"),
    Column("amount", "Amount", kind=Kind.MONEY, empty="None"),
    Column("authority", "Authority", value="authority__name"),
]


def decisions_table(decisions, *, since: dt.date | None, as_of: dt.date) -> Table:
    period = (f"from {long_date(since)} to {long_date(as_of)}" if since
              else f"to {long_date(as_of)}")
    return Table(columns=DECISION_COLUMNS, rows=decisions, title=f"Decisions made {period}",
                 key="decisions", empty_message="No decisions in that period.",
                 testid="decisions")


# --- Business cases ----------------------------------------------------------------------------


CASE_COLUMNS = [
    Column("title", "Business case", value="case.title", row_header=True,
           link=lambda r: _pk_url("governance:case-detail", r.case.pk)),
    Column("submitted_to", "Submitted to", value="case.submitted_to.name"),
    Column("submitted_on", "Submitted", kind=Kind.DATE, value="case.submitted_on",
           empty="Not submitted"),
    Column("amount", "Amount", kind=Kind.MONEY, value="case.amount", total=True),
    Column("funding_source", "Funding source", value="case.funding_source",
           choices=FundingSource),
    Column("status", "Status", value="status.status", choices=CaseStatus),
    Column("status_on", "Status since", kind=Kind.DATE, value="status.on"),
    Column("decision", "Settled by", value=lambda r: r.decision.title if r.decision else None,
           empty="Not settled"),
    Column("authority", "Authority", value="case.authority.name"),
]


def cases_table(rows, *, as_of: dt.date) -> Table:
    return Table(columns=CASE_COLUMNS, rows=rows, title=f"Business cases, {long_date(as_of)}",
                 key="business_cases", empty_message="No business cases on that day.",
                 testid="cases")


def cases_by_status_table(counts: list[dict]) -> Table:
    return Table(columns=[
        Column("status", "Status", choices=CaseStatus, row_header=True),
        Column("count", "Cases", kind=Kind.WHOLE, total=True),
        Column("amount", "Amount", kind=Kind.MONEY, total=True),
    ], rows=counts, title="Business cases by status", testid="by-status",
        totals_label="All cases, whatever their status")


def case_statuses_table(statuses) -> Table:
    return Table(columns=[
        Column("on", "From", kind=Kind.DATE, row_header=True),
        Column("status", "Status", choices=CaseStatus),
        Column("decision", "Decision", value=lambda s: s.decision.title if s.decision else None,
               empty="None"),
        Column("note", "Note", empty=""),
    ], rows=statuses, title="Status over time", testid="statuses")


# --- `caresight export` ------------------------------------------------------------------------


def register_export(*, authority_codes, date_from: dt.date | None = None,
                    date_to: dt.date | None = None) -> Table:
    """The register on `date_to` (default today), seed 000's columns."""
    as_of = date_to or timezone.localdate()
    return register_table(selectors.register(user=OPERATOR, as_of=as_of,
                                             authority_codes=authority_codes), as_of=as_of)


def decisions_export(*, authority_codes, date_from: dt.date | None = None,
                     date_to: dt.date | None = None) -> Table:
    as_of = date_to or timezone.localdate()
    return decisions_table(selectors.decision_rows(selectors.decisions_since(
        user=OPERATOR, since=date_from, as_of=as_of, authority_codes=authority_codes)),
        since=date_from, as_of=as_of)


def cases_export(*, authority_codes, date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> Table:
    as_of = date_to or timezone.localdate()
    return cases_table(selectors.cases_as_of(user=OPERATOR, as_of=as_of,
                                             authority_codes=authority_codes), as_of=as_of)
