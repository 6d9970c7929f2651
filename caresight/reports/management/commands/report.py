"""caresight report build | publish | send — the weekly highlight report, the committee report
and the outbreak update, from the live figures, as a file; or published (kept, frozen); or a
published one emailed."""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from caresight.core.cli import add_authority_argument, authorities_of
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument
from caresight.reports import selectors, services
from caresight.reports.kinds import kinds
from caresight.reports.rendering import draw

KIND_NAMES = {"highlight": "highlight", "committee": "committee",
              "outbreak-update": "outbreak_update"}


class Command(BaseCommand):
    help = ("build: write a report built from the live figures to a file (HTML, PDF or Word). "
            "publish: build it and keep it, with its figures, their SHA-256 and its files; a "
            "report already published for the same area and period is refused. send: email a "
            "published report (PDF and Word attached) to its schedule's distribution list, or "
            "to the --to addresses; one delivery record per recipient. Reports: "
            "highlight (the weekly highlight report), committee (the committee report), "
            "outbreak-update (the outbreak update). Repeat --authority for a joint area.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["build", "publish", "send"])
        parser.add_argument("kind", choices=list(KIND_NAMES))
        add_authority_argument(parser, single=True, many=True, required=True,
                               help="the council the report is for")
        parser.add_argument("--as-of", type=date_argument, metavar="DATE", required=True,
                            help="the report's date: the last day of its period")
        parser.add_argument("--from", dest="period_from", type=date_argument, metavar="DATE",
                            help="the first day of the period (default: the week, or for "
                                 "the committee report the four weeks, ending on --as-of)")
        parser.add_argument("--format", choices=["html", "pdf", "docx"], default="pdf",
                            help="build: the file's format (default pdf)")
        parser.add_argument("--output", metavar="FILE",
                            help="build: where to write it ('-' for standard output)")
        parser.add_argument("--to", nargs="+", action="extend", metavar="ADDRESS",
                            help="send: the addresses to send it to (default: the "
                                 "distribution list of the report's schedule)")

    def handle(self, *args, action, kind, authority, as_of, period_from, **options):
        kind = KIND_NAMES[kind]
        codes = [a.ons_code for a in authorities_of(authority)]
        try:
            if action == "publish":
                report = services.report_publish(user=OPERATOR, kind=kind,
                                                  authority_codes=codes, as_of=as_of,
                                                  period_from=period_from)
                self.stdout.write(self.style.SUCCESS(
                    f"Published {report.title} for {report.area_name}, "
                    f"{selectors.period_label(report.period_from, report.as_of)} (report "
                    f"{report.pk}; figures SHA-256 {report.figures_sha256})."))
                return
            if action == "send":
                self._send(kind, codes, as_of, period_from, options.get("to"))
                return
            figures = selectors.report_figures(user=OPERATOR, kind=kind, authority_codes=codes,
                                               as_of=as_of, period_from=period_from)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if not options["output"]:
            raise CommandError("Say where to write the report: --output FILE (or - for "
                               "standard output).")
        authorities = selectors.area_authorities(OPERATOR, codes)
        content = draw(figures, selectors.report_settings(authorities[0], kind),
                        options["format"])
        if options["output"] == "-":
            sys.stdout.buffer.write(content)
            return
        Path(options["output"]).write_bytes(content)
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {kinds()[kind].label.lower()} for {figures['area_name']}, "
            f"{figures['period']} to {options['output']} ({len(content):,} bytes)."))

    def _send(self, kind, codes, as_of, period_from, to) -> None:
        authorities = selectors.area_authorities(OPERATOR, codes)
        period_from = selectors.check_period(kinds()[kind], as_of, period_from)
        report = selectors.existing_publication(kind, authorities, period_from, as_of)
        if report is None:
            raise CommandError(
                f"The {kinds()[kind].label.lower()} for {selectors.area_name(authorities)}, "
                f"{selectors.period_label(period_from, as_of)}, is not published: publish it "
                "first (caresight report publish …), then send it.")
        deliveries = services.report_send(user=OPERATOR, report=report, to=to)
        self.stdout.write(self.style.SUCCESS(
            f"Queued {report.title} for {report.area_name}, "
            f"{selectors.period_label(report.period_from, report.as_of)} to "
            f"{len(deliveries)} recipient{'s' if len(deliveries) != 1 else ''}: "
            f"{', '.join(d.recipient for d in deliveries)}. The background worker sends it "
            "(caresight email status shows how it went)."))
