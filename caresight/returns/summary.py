"""`caresight summary returns`: completeness, beds and the IPC measures on a day."""

from django.core.management.base import CommandError

from caresight.core.cli import add_authority_argument
from caresight.core.summaries import Summary
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument, long_date

from .selectors import returns_summary


def _arguments(parser) -> None:
    parser.add_argument("--as-of", type=date_argument, metavar="DATE",
                        help="the day to summarise (YYYY-MM-DD)")
    parser.add_argument("--previous", type=date_argument, metavar="DATE",
                        help="the day to compare with (YYYY-MM-DD)")
    add_authority_argument(parser, help="one area; default: every service in England")


def _run(*, as_of, previous, authority, **options) -> tuple[dict, list[str]]:
    if as_of is None:
        raise CommandError("summary returns needs --as-of DATE.")
    summary = returns_summary(user=OPERATOR, as_of=as_of, previous=previous,
                              authority=authority.selector_code if authority else None)
    beds = summary["beds"]
    lines = [
        f"Returns on {long_date(as_of)}: {summary['reported']} of {summary['locations']} "
        f"services reported ({summary['completion_rate'] or 0}%).",
        f"Beds: {beds['registered']} registered, {beds['occupied']} occupied, "
        f"{beds['vacant']} vacant (from {beds['based_on']} care homes).",
    ]
    for m in summary["measures"]:
        before = "" if m["previous_pct"] is None else f" (was {m['previous_pct']}%)"
        lines.append(f"  {m['current_pct']}%{before}  {m['label']}")
    return summary, lines


SUMMARY = Summary(
    name="returns",
    help="completeness, beds and the IPC measures on a day (current = latest return within "
    "the window), against a previous day",
    add_arguments=_arguments, run=_run)
