"""The governance sections of the generated reports: the risk register in seed 000's shape
(Risks | Mitigations | Residual Risk …), the decisions made in the reporting period, and the
business cases with their status and amounts on the report's day."""

from collections import Counter

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures, counted
from caresight.core.tables import format_money, freeze, money
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import scoring, selectors, tables
from .models import CaseStatus


def _empty(sentence: str) -> SectionFigures:
    return {"paragraphs": [sentence], "tables": [], "charts": [], "based_on": 0}


def build_register(scope: ReportScope) -> SectionFigures:
    as_of = scope.as_of
    on = long_date(as_of)
    rows = selectors.register(user=scope.user, as_of=as_of,
                              authority_codes=scope.authority_codes)
    if not rows:
        return _empty(f"No open risks on the risk register on {on}.")
    bands = Counter(row.band for row in rows)
    in_order = [label for _, label in sorted(scoring.configured_bands(), reverse=True)]
    by_band = ", ".join(f"{bands[label]:,} {label.lower()}" for label in in_order
                        if bands[label])
    paragraphs = [f"{counted(len(rows), 'open risk')} on the risk register on {on}; by "
                  f"residual score: {by_band}."]
    due = selectors.due_for_review(user=scope.user, as_of=as_of,
                                   authority_codes=scope.authority_codes)
    if due:
        overdue = sum(1 for row in due if row.overdue)
        paragraphs.append(f"{counted(len(due), 'risk')} due for review within "
                          f"{selectors.DUE_WITHIN_DAYS} days, {overdue:,} overdue.")
    # The file's columns are seed 000's: Risks | Mitigations | Residual Risk, then the scores.
    return {"paragraphs": paragraphs,
            "tables": [freeze(tables.register_table(rows, as_of=as_of), download=True)],
            "charts": [], "based_on": len(rows)}


def build_decisions(scope: ReportScope) -> SectionFigures:
    as_of, since = scope.as_of, scope.period_from
    decisions = selectors.decisions_since(user=scope.user, since=since, as_of=as_of,
                                          authority_codes=scope.authority_codes)
    period = f"from {long_date(since)} to {long_date(as_of)}"
    found = selectors.decisions_in_all(decisions)
    if not found["count"]:
        return _empty(f"No decisions made {period}.")
    sentence = f"{counted(found['count'], 'decision')} made {period}"
    if found["amount"]:
        sentence += f", for {format_money(money(found['amount']))} in all"
    table = tables.decisions_table(selectors.decision_rows(decisions), since=since, as_of=as_of)
    return {"paragraphs": [sentence + "."], "tables": [freeze(table)], "charts": [],
            "based_on": found["count"]}


def build_cases(scope: ReportScope) -> SectionFigures:
    as_of = scope.as_of
    on = long_date(as_of)
    rows = selectors.cases_as_of(user=scope.user, as_of=as_of,
                                 authority_codes=scope.authority_codes)
    if not rows:
        return _empty(f"No business cases by {on}.")
    by_status = selectors.cases_by_status(rows)
    total = sum((s["amount"] for s in by_status), money(0))
    labels = dict(CaseStatus.choices)
    parts = ", ".join(f"{s['count']:,} {labels[s['status']].lower()} "
                      f"({format_money(s['amount'])})" for s in by_status if s["count"])
    return {"paragraphs": [f"{counted(len(rows), 'business case')} on {on}, for "
                           f"{format_money(total)} in all: {parts}."],
            "tables": [freeze(tables.cases_by_status_table(by_status)),
                       freeze(tables.cases_table(rows, as_of=as_of))],
            "charts": [], "based_on": len(rows)}


SECTIONS = [
    ReportSection(
        key="risk_register", heading="Risks and mitigations",
        help="The open risks on the risk register on the report's day, as seed 000 has them "
        "(Risks, Mitigations, Residual Risk), with their scores, band, owner and next review.",
        capability=Capability.VIEW_PLANS, build=build_register),
    ReportSection(
        key="decisions", heading="Decisions made since the last reporting period",
        help="The decisions made in the reporting period, who made them, what they relate to "
        "and their financial implications.",
        capability=Capability.VIEW_PLANS, build=build_decisions),
    ReportSection(
        key="business_cases", heading="Business cases",
        help="Business cases and their status on the report's day, with amounts by status.",
        capability=Capability.VIEW_PLANS, build=build_cases),
]
