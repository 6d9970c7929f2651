"""caresight risk save-log | refresh — keep the day's risk log of each authority, as
distributed (save-log), or keep the worked-out logs current (refresh)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from caresight.core.cli import add_authority_argument, authorities_of
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import date_argument, long_date
from caresight.registry.models import Authority
from caresight.risk.models import SavedLog
from caresight.risk.services import risk_log_save, risk_logs_refresh


class Command(BaseCommand):
    help = ("save-log: work out and keep the risk log for a day, for one authority or every "
            "authority with services, so that it is shown as it was whenever that day is "
            "chosen. An authority whose log for the day is already saved is left as it is. "
            "refresh: work out again and keep the logs for a day whose data changed since "
            "they were kept (this runs in the background after every change; the pages show "
            "the same ratings either way, sooner once kept).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["save-log", "refresh"])
        parser.add_argument("--as-of", type=date_argument, metavar="DATE",
                            help="the day of the log (default: today)")
        add_authority_argument(parser, many=True, help="only this area")

    def handle(self, *args, action, as_of, authority, **options):
        as_of = as_of or timezone.localdate()
        authorities = Authority.objects.filter(locations__isnull=False).distinct()
        if authority:
            authorities = Authority.objects.filter(
                pk__in=[found.pk for found in authorities_of(authority)])
        if action == "refresh":
            written = risk_logs_refresh(as_of=as_of, authority_ids=(
                authorities.values_list("pk", flat=True) if authority else None))
            self.stdout.write(self.style.SUCCESS(
                f"Worked out and kept {written} risk log{'' if written == 1 else 's'} for "
                f"{long_date(as_of)}; the others were current."))
            return
        done = set(SavedLog.objects.filter(as_of=as_of, kind=SavedLog.Kind.SAVED)
                   .values_list("authority_id", flat=True))
        saved = 0
        for found in authorities.order_by("name"):
            if found.pk in done:
                continue
            risk_log_save(authority=found, as_of=as_of, user=OPERATOR)
            saved += 1
        self.stdout.write(self.style.SUCCESS(
            f"Saved {saved} risk log{'' if saved == 1 else 's'} for {long_date(as_of)}; "
            f"{len(done)} already saved."))
