"""caresight summary WHAT — a summary for a day (returns, outbreaks) or of a grant round."""

import json

from django.core.management.base import BaseCommand, CommandError

from caresight.core.timeutils import date_argument, long_date
from caresight.grants.money import pounds
from caresight.grants.selectors import as_json, government_return
from caresight.grants.selectors import round_list as grant_round_list
from caresight.outbreaks.selectors import tracker
from caresight.registry.selectors import area_authority_ids
from caresight.returns.selectors import returns_summary


class Command(BaseCommand):
    help = ("Summarise a day. returns: completeness, beds and the IPC measures (current = "
            "latest return within the window), against a previous day. outbreaks: the outbreak "
            "tracker (on the tracker, live, de-escalation, closed and new in the period, "
            "providers, by locality). grants: a round's return to government (allocations, "
            "payments, providers, spend by category) and its reconciliation. Runs with "
            "administrator rights over every authority.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["returns", "outbreaks", "grants"])
        parser.add_argument("--as-of", type=date_argument, metavar="DATE",
                            help="returns, outbreaks: the day to summarise (YYYY-MM-DD)")
        parser.add_argument("--round", type=int, metavar="ID",
                            help="grants: the round (see the Infection Control Fund pages)")
        parser.add_argument("--previous", type=date_argument, metavar="DATE",
                            help="returns: the day to compare with (YYYY-MM-DD)")
        parser.add_argument("--since", type=date_argument, metavar="DATE",
                            help="outbreaks: count closed and new outbreaks from this day "
                            "(default: 27 days before --as-of, four weeks in all)")
        parser.add_argument("--authority", metavar="CODE",
                            help="one authority (ONS code) or region (E12…); default: every "
                            "service in England")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, what, as_of, previous, since, authority, format, round,
               **options):
        if what == "grants":
            self._grants(round, format)
            return
        if as_of is None:
            raise CommandError(f"summary {what} needs --as-of DATE.")
        if authority and not area_authority_ids(authority):
            raise CommandError(f"Unknown authority code {authority!r}.")
        if since and since > as_of:
            raise CommandError("--since is after --as-of.")
        if what == "returns":
            summary = returns_summary(user=None, as_of=as_of, previous=previous,
                                      authority=authority)
            lines = _returns_text(summary, as_of)
        else:
            summary, _ = tracker(user=None, as_of=as_of, since=since, authority=authority)
            lines = _outbreaks_text(summary, as_of)
        if format == "json":
            self.stdout.write(json.dumps(summary, indent=1, default=str))
            return
        for line in lines:
            self.stdout.write(line)


    def _grants(self, round_id, format):
        if round_id is None:
            raise CommandError("summary grants needs --round ID.")
        found = grant_round_list(user=None).filter(pk=round_id).first()
        if found is None:
            raise CommandError(f"There is no round {round_id}.")
        summary = government_return(found)
        summary["reconciliation"] = {
            **{key: summary[key] for key in ("allocated", "adjusted", "paid", "recovered",
                                             "spent", "unspent")},
            "still_to_pay": summary["allocated"] + summary["adjusted"] - summary["paid"]}
        if format == "json":
            self.stdout.write(json.dumps(as_json(summary), indent=1))
            return
        self.stdout.write(f"{summary['name']}, {summary['authority_name']}: "
                          f"{pounds(summary['amount'])}")
        for key in ("allocated", "adjusted", "paid", "recovered", "spent", "unspent"):
            self.stdout.write(f"  {key.capitalize():10} {pounds(summary[key])}")
        self.stdout.write(f"  Providers allocated {summary['providers_allocated']}, paid "
                          f"{summary['providers_paid']}")
        for s in summary["spend"]:
            self.stdout.write(f"  {s['proportion_pct']:3}%  {s['label']}")


def _returns_text(summary: dict, as_of) -> list[str]:
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
    return lines


def _outbreaks_text(summary: dict, as_of) -> list[str]:
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
    return lines
