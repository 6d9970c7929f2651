"""caresight summary WHAT — one of the summaries the apps register (core.summaries)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from caresight.core.errors import refusal_text
from caresight.core.summaries import SUMMARIES


class Command(BaseCommand):
    help = ("Summarise: " + "; ".join(
        f"{name}: {SUMMARIES[name].help}" for name in sorted(SUMMARIES))
        + ". Runs with administrator rights over every authority.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
        for name in sorted(SUMMARIES):
            summary = SUMMARIES[name]
            found = sub.add_parser(name, help=summary.help, description=summary.help)
            summary.add_arguments(found)
            found.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, what, format, **options):
        try:
            data, lines = SUMMARIES[what].run(**options)
        except ValidationError as exc:
            raise CommandError(refusal_text(exc)) from None
        if format == "json":
            self.stdout.write(json.dumps(data, indent=1, default=str))
            return
        for line in lines:
            self.stdout.write(line)
