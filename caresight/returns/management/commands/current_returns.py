"""caresight current_returns check|rebuild — the kept current state of returns."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from caresight.core.progress import TerminalProgress
from caresight.returns import current, kept_totals


class Command(BaseCommand):
    help = ("Each service's latest return is kept in a table of its own, updated with every "
            "return written, for today's figures. 'check' compares it with a fresh "
            "computation from the returns and fails if they differ; 'rebuild' makes it "
            "afresh (after restoring returns by hand, say). Each authority's summary totals "
            "for a day are kept too, once worked out: 'check' compares them with totals "
            "worked out afresh, and 'rebuild' forgets them (the next summaries work them "
            "out again).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "rebuild"])

    def handle(self, *args, action, **options):
        if action == "rebuild":
            with transaction.atomic():
                kept = current.rebuild()
                forgotten = kept_totals.forget_all()
            self.stdout.write(f"Kept the latest return of {kept:,} services; forgot "
                              f"{forgotten:,} authorities' kept summary totals for a day.")
            return
        count, messages = current.differences()
        for message in messages:
            self.stdout.write(message)
        if count:
            raise CommandError(f"{count:,} services' kept current return differs from their "
                               "returns. Run `caresight current_returns rebuild`.")
        self.stdout.write("The kept current returns match the returns.")
        count, messages = kept_totals.differences(progress=TerminalProgress())
        for message in messages:
            self.stdout.write(message)
        if count:
            raise CommandError(f"{count:,} authorities' kept summary totals for a day differ "
                               "from their returns. Run `caresight current_returns rebuild`.")
        self.stdout.write("The kept summary totals match the returns.")
