"""caresight returns_partitions — make the coming months' partitions of the returns and drop
those past the retention period (PostgreSQL; the scheduler runs it daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caresight.returns import partitions


class Command(BaseCommand):
    help = ("On PostgreSQL, where returns and their history are partitioned by month: make "
            "the partitions of the current month and the next --ahead months where missing, "
            "then, if CARESIGHT_RETURNS_RETENTION_MONTHS is more than 0, drop every month "
            "before the retention period (that many whole months before the current one) "
            "with its returns and their history, and delete the kept current returns of "
            "those days. Prints what it makes and drops; --dry-run prints what it would and "
            "changes nothing. On SQLite the tables are plain and it does nothing. "
            "`caresight scheduler` runs it every day at 03:30.")

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=partitions.AHEAD_MONTHS,
                            help="months to make after the current one "
                                 f"(default {partitions.AHEAD_MONTHS})")
        parser.add_argument("--dry-run", action="store_true",
                            help="say what would be made and dropped, and change nothing")

    def handle(self, *args, ahead: int, dry_run: bool, **options):
        if ahead < 0:
            raise CommandError("--ahead must be 0 or more.")
        if not partitions.is_partitioned():
            self.stdout.write("The returns tables are not partitioned on this database "
                              "(SQLite, or PostgreSQL before migration returns 0006): "
                              "nothing to do.")
            return
        retention = settings.CARESIGHT_RETURNS_RETENTION_MONTHS
        done = partitions.maintain(ahead=ahead, retention_months=retention, dry_run=dry_run)
        self.stdout.write("\n".join(lines(done, retention=retention, dry_run=dry_run)))


def lines(done: partitions.Maintained, *, retention: int, dry_run: bool) -> list[str]:
    """What was made and dropped (or would be), one sentence a line."""
    make, drop, delete = (("Would make", "Would drop", "Would delete") if dry_run
                          else ("Made", "Dropped", "Deleted"))
    said = [f"{make} {part.name} ({part.month:%B %Y})." for part in done.created]
    if not done.created:
        said.append(f"Every partition up to {done.until:%B %Y} is there already.")
    if done.dropped is None or done.cut is None:
        said.append("Every month is kept (CARESIGHT_RETURNS_RETENTION_MONTHS is 0).")
        return said
    cut = f"{done.cut.day} {done.cut:%B %Y}"
    said += [f"{drop} {part.name} ({part.month:%B %Y}, {_count(part.rows or 0, 'row')})."
             for part in done.dropped.partitions]
    if not done.dropped.partitions:
        said.append(f"No month before {cut} is left to drop (keeping {retention} whole "
                    "months before the current one).")
    said.append(f"{delete} {_count(done.dropped.current_returns, 'kept current return')} "
                f"of days before {cut}.")
    return said


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"
