"""`caresight summary outbreaks`: the outbreak tracker's figures for a day."""

from django.core.management.base import CommandError

from caresight.core.cli import add_authority_argument
from caresight.core.summaries import Summary
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument, long_date

from .selectors import DEFAULT_PERIOD_DAYS, tracker


def _arguments(parser) -> None:
    parser.add_argument("--as-of", type=date_argument, metavar="DATE",
                        help="the day to summarise (YYYY-MM-DD)")
    parser.add_argument("--since", type=date_argument, metavar="DATE",
                        help="count closed and new outbreaks from this day (default: "
                        f"{DEFAULT_PERIOD_DAYS - 1} days before --as-of, "
                        f"{DEFAULT_PERIOD_DAYS} days in all)")
    add_authority_argument(parser, help="one area; default: every service in England")


def _run(*, as_of, since, authority, **options) -> tuple[dict, list[str]]:
    if as_of is None:
        raise CommandError("summary outbreaks needs --as-of DATE.")
    if since and since > as_of:
        raise CommandError("--since is after --as-of.")
    summary, _ = tracker(user=OPERATOR, as_of=as_of, since=since,
                         authority=authority.selector_code if authority else None)
    lines = [
        f"Outbreak update as of {long_date(as_of)}",
        f"Overall number of services on tracker  {summary['on_tracker']}",
        f"Number on de-escalation pathway  {summary['de_escalation']}",
        f"Number live being supported  {summary['live']}",
        f"Number of services closed and removed from tracker  {summary['closed']} "
        f"(since {summary['since']})",
        f"New outbreaks  {summary['new']} (since {summary['since']})",
        f"Overall number of providers  {summary['providers']}",
        "Numbers on the tracker by locality",
    ]
    lines += [f"  {row['locality']} ({row['authority']}):  {row['on_tracker']}"
              for row in summary["by_locality"] if row["on_tracker"]]
    return summary, lines


SUMMARY = Summary(
    name="outbreaks",
    help="the outbreak tracker on a day (on the tracker, live, de-escalation, closed and new "
    "in the period, providers, by locality)",
    add_arguments=_arguments, run=_run)
