"""caresight export WHAT — a table out as CSV, JSON, XLSX or ODS."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from caresight.core.cli import add_authority_argument, authorities_of
from caresight.core.exports import EXPORTS, FORMATS, render_table
from caresight.core.timeutils import date_argument


class Command(BaseCommand):
    help = ("Export a table: locations (the register), returns (provider returns), outbreaks "
            "(the tracker's rows on --to, with closed and new since --from) or risk-log (the "
            "risk log on --to). Runs with "
            "administrator rights over every authority.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=sorted(EXPORTS))
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        add_authority_argument(parser, many=True, help="only this area")
        parser.add_argument("--from", dest="date_from", metavar="DATE", type=date_argument,
                            help="returns: only those for this day (YYYY-MM-DD) or later; "
                            "outbreaks: the start of the period for closed and new outbreaks")
        parser.add_argument("--to", dest="date_to", metavar="DATE", type=date_argument,
                            help="returns: only those for this day or earlier; outbreaks and "
                            "risk-log: the day (default today)")
        parser.add_argument("--output", "-o", type=Path,
                            help="write to this file (default: standard output)")

    def handle(self, *args, what, format, authority, date_from, date_to, output, **options):
        codes = [found.ons_code for found in authorities_of(authority)]
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from is after --to.")
        rows, columns, title = import_string(EXPORTS[what])(
            authority_codes=codes, date_from=date_from, date_to=date_to)
        body = render_table(rows, columns, format, title=title)
        if output:
            output.write_bytes(body)
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
