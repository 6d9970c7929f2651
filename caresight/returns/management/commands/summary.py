"""caresight summary returns — the returns summary for a day, as JSON or text."""

import json

from django.core.management.base import BaseCommand, CommandError

from caresight.core.timeutils import date_argument, long_date
from caresight.returns import selectors


class Command(BaseCommand):
    help = ("Summarise provider returns on a day (current = latest return within the window): "
            "completeness, beds and the IPC measures, current against a previous day. Runs "
            "with administrator rights over every authority.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["returns"])
        parser.add_argument("--as-of", required=True, type=date_argument, metavar="DATE",
                            help="the day to summarise (YYYY-MM-DD)")
        parser.add_argument("--previous", type=date_argument, metavar="DATE",
                            help="the day to compare with (YYYY-MM-DD)")
        parser.add_argument("--authority", metavar="CODE",
                            help="one authority (ONS code) or region (E12…); default: every "
                            "service in England")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, what, as_of, previous, authority, format, **options):
        if authority and not selectors.area_authority_ids(authority):
            raise CommandError(f"Unknown authority code {authority!r}.")
        summary = selectors.returns_summary(user=None, as_of=as_of, previous=previous,
                                            authority=authority)
        if format == "json":
            self.stdout.write(json.dumps(summary, indent=1, default=str))
            return
        self.stdout.write(
            f"Returns on {long_date(as_of)}: {summary['reported']} of {summary['locations']} "
            f"services reported ({summary['completion_rate'] or 0}%).")
        beds = summary["beds"]
        self.stdout.write(f"Beds: {beds['registered']} registered, {beds['occupied']} occupied, "
                          f"{beds['vacant']} vacant (from {beds['based_on']} care homes).")
        for m in summary["measures"]:
            before = "" if m["previous_pct"] is None else f" (was {m['previous_pct']}%)"
            self.stdout.write(f"  {m['current_pct']}%{before}  {m['label']}")
