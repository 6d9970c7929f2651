"""caresight grants … — the Infection Control Fund from the command line.

Runs with administrator rights (no user); every write is audited as made by the command line.
"""

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from caresight.core import tables
from caresight.core.cli import add_authority_argument
from caresight.core.errors import refusal_text
from caresight.core.services import download_record
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument, long_date
from caresight.grants import selectors, services
from caresight.grants import tables as grant_tables
from caresight.grants.allocation import plan_round, spec_from_template
from caresight.grants.models import PaymentRun, Round
from caresight.grants.money import parse_money, pounds
from caresight.grants.round_templates import TEMPLATES


class Command(BaseCommand):
    help = ("allocate: print the what-if allocation of a round made from a template, writing "
            "nothing. create: make the round (from a template) in the database. confirm: "
            "confirm a round's allocation (once). pay: prepare and confirm a payment run for "
            "an instalment, then write the finance file.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["allocate", "create", "confirm", "pay"])
        add_authority_argument(parser, single=True, help="allocate, create: the authority")
        parser.add_argument("--template", choices=list(TEMPLATES),
                            help="allocate, create: the round's template")
        parser.add_argument("--amount", metavar="POUNDS",
                            help="allocate, create: the authority's allocation, e.g. 1751000.00")
        parser.add_argument("--eligibility-date", type=date_argument, metavar="DATE",
                            help="allocate, create: services registered on this day qualify")
        parser.add_argument("--contingency", metavar="POUNDS", default="0",
                            help="create: kept back from the discretionary element")
        parser.add_argument("--definition", metavar="FILE",
                            help="create: a round defined in JSON instead of a template "
                            "(name, elements, instalments, spend_categories; see "
                            "docs/data-formats.md)")
        parser.add_argument("--round", type=int, metavar="ID", help="confirm, pay: the round")
        parser.add_argument("--instalment", type=int, metavar="N", help="pay: instalment number")
        parser.add_argument("--as-of", type=date_argument, metavar="DATE",
                            help="pay: check conditions on this day (default: today)")
        parser.add_argument("--output", metavar="FILE", help="pay: the finance CSV (default: "
                            "standard output)")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(refusal_text(exc)) from None

    def _authority_amount(self, authority, template, amount, eligibility_date):
        missing = [name for name, value in (("--authority", authority),
                                            ("--template", template),
                                            ("--amount", amount),
                                            ("--eligibility-date", eligibility_date))
                   if not value]
        if missing:
            raise CommandError(f"Give {', '.join(missing)}.")
        found = authority.authorities[0]
        try:
            pounds_ = parse_money(amount, field="--amount", allow_zero=False)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return found, pounds_

    def _allocate(self, *, authority, template, amount, eligibility_date, format, **options):
        found, total = self._authority_amount(authority, template, amount, eligibility_date)
        plan = plan_round(spec_from_template(authority=found, template=template, amount=total,
                                             eligibility_date=eligibility_date))
        if all(e.problem for e in plan.elements):
            raise CommandError("No eligible providers: " + " ".join(plan.problems))
        if format == "json":
            self.stdout.write(json.dumps(plan.as_json(), indent=1))
            return
        self.stdout.write(f"What-if allocation of {pounds(total)} for {found.name}, services "
                          f"registered on {long_date(eligibility_date)} (nothing written)")
        for e in plan.elements:
            rate = f", {pounds(e.rate)} per unit" if e.rate is not None else ""
            self.stdout.write(f"  {e.spec.name}: {pounds(e.total)} over {len(e.lines)} services"
                              f" ({e.units.normalize():f} units{rate}); "
                              f"{len(e.not_allocated)} not allocated")
            if e.problem:
                self.stdout.write(f"    Cannot be allocated: {e.problem}")

    def _create(self, *, authority, template, amount, eligibility_date, contingency,
                definition, **options):
        if definition and template:
            raise CommandError("Give --template or --definition, not both.")
        found, total = self._authority_amount(authority, template or definition, amount,
                                              eligibility_date)
        if definition:
            try:
                with open(definition, encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read {definition}: {exc}") from None
            missing = [k for k in ("name", "elements", "instalments", "spend_categories")
                       if k not in data]
            if missing:
                raise CommandError(f"{definition} has no {', '.join(missing)}.")
            round = services.round_create(
                authority=found, name=data["name"], amount=total,
                eligibility_date=eligibility_date, elements=data["elements"],
                instalments=data["instalments"], spend_categories=data["spend_categories"],
                user=OPERATOR)
        else:
            round = services.round_create_from_template(
                authority=found, template=template, amount=total,
                eligibility_date=eligibility_date, contingency=contingency, user=OPERATOR)
        self.stdout.write(self.style.SUCCESS(f"Created round {round.pk}: {round}."))

    def _round(self, pk):
        if pk is None:
            raise CommandError("Give --round ID.")
        found = Round.objects.filter(pk=pk).select_related("authority").first()
        if found is None:
            raise CommandError(f"There is no round {pk}.")
        return found

    def _confirm(self, *, round, **options):
        found = self._round(round)
        count = services.allocation_confirm(round=found, user=OPERATOR)
        self.stdout.write(self.style.SUCCESS(f"Confirmed {count} allocations for {found}."))

    def _pay(self, *, round, instalment, as_of, output, **options):
        found = self._round(round)
        chosen = found.instalments.filter(number=instalment).first()
        if chosen is None:
            raise CommandError(f"Round {found.pk} has no instalment {instalment!r}.")
        run = services.payment_run_create(round=found, instalment=chosen,
                                          as_of=as_of or timezone.localdate(), user=OPERATOR)
        count = services.payment_run_confirm(run=run, user=OPERATOR)
        run = PaymentRun.objects.get(pk=run.pk)
        data, rows = tables.render(grant_tables.finance_file_table(
            selectors.finance_file_rows(run)), "csv")
        download_record(user=OPERATOR, what="Payments", path="caresight grants pay",
                        filters=f"--round {found.pk} --instalment {instalment}",
                        file_format="csv", rows=rows)
        if output:
            with open(output, "wb") as f:
                f.write(data)
        else:
            sys.stdout.buffer.write(data)
        self.stderr.write(f"Payment run {run.pk}: {count} payments, "
                          f"{len(run.withheld)} withheld.")
