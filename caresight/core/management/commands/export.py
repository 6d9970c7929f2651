"""caresight export WHAT — a registered table out as CSV, JSON, XLSX or ODS."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from caresight.core import tables
from caresight.core.cli import add_authority_argument, authorities_of
from caresight.core.services import download_record
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument


class Command(BaseCommand):
    help = ("Export a table (the apps register them): "
            + "; ".join(f"{e.name} ({e.help})" for e in sorted(
                tables.EXPORTS.values(), key=lambda e: e.name))
            + ". Runs with administrator rights over every authority.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=sorted(tables.EXPORTS))
        parser.add_argument("--format", choices=sorted(tables.FORMATS), default="csv")
        add_authority_argument(parser, many=True, help="only this area")
        parser.add_argument("--from", dest="date_from", metavar="DATE", type=date_argument,
                            help="returns: only those for this day (YYYY-MM-DD) or later; "
                            "outbreaks: the start of the period for closed and new outbreaks")
        parser.add_argument("--to", dest="date_to", metavar="DATE", type=date_argument,
                            help="returns: only those for this day or earlier; outbreaks, "
                            "risk-log, beds and placements: the day (default today)")
        parser.add_argument("--as-of", dest="as_of", metavar="DATE", type=date_argument,
                            help="the day the table is as of (beds, placements and every "
                            "export that takes --to as its day): the same as --to")
        parser.add_argument("--output", "-o", type=Path,
                            help="write to this file (default: standard output)")

    def handle(self, *args, what, format, authority, date_from, date_to, output, as_of=None,
               **options):
        codes = [found.ons_code for found in authorities_of(authority)]
        if as_of and date_to and as_of != date_to:
            raise CommandError("--as-of and --to name different days: give one of them.")
        date_to = as_of or date_to
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from is after --to.")
        table = tables.EXPORTS[what].build(authority_codes=codes, date_from=date_from,
                                           date_to=date_to)
        body, rows = tables.render(table, format)
        filters = " ".join(
            f"--{name} {value}" for name, value in (
                ("authority", ",".join(codes)), ("from", date_from), ("to", date_to))
            if value)
        download_record(user=OPERATOR, what=table.title, path=f"caresight export {what}",
                        filters=filters, file_format=format, rows=rows)
        if output:
            output.write_bytes(body)
            self.stderr.write(f"Wrote {output} ({rows} rows)")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
