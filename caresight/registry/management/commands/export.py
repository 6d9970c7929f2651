"""caresight export locations — the register as CSV, JSON, XLSX or ODS."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from caresight.core.exports import FORMATS, render_table
from caresight.registry import selectors
from caresight.registry.models import Authority, Location


class Command(BaseCommand):
    help = "Export the register. Runs with administrator rights over every authority."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["locations"])
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--authority", metavar="CODE", action="append",
                            help="only this authority (ONS code); repeat for more")
        parser.add_argument("--output", "-o", type=Path,
                            help="write to this file (default: standard output)")

    def handle(self, *args, what, format, authority, output, **options):
        queryset = Location.objects.select_related("provider", "authority", "locality")
        if authority:
            codes = [code.upper() for code in authority]
            known = set(Authority.objects.filter(ons_code__in=codes)
                        .values_list("ons_code", flat=True))
            unknown = sorted(set(codes) - known)
            if unknown:
                raise CommandError(f"Unknown authority code(s): {', '.join(unknown)}.")
            queryset = queryset.filter(authority__ons_code__in=codes)
        body = render_table(selectors.location_export_rows(queryset.order_by("name", "pk")),
                            selectors.EXPORT_COLUMNS, format, title="Locations")
        if output:
            output.write_bytes(body)
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
