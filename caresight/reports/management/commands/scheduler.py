"""caresight scheduler — build and email each authority's scheduled reports when they are due.

An APScheduler BlockingScheduler with one job, every minute: `schedules_run_due`, which
records each run that has come due and queues its background task (run by `caresight
db_worker`); and one at 07:00 (London): the day's notifications and the daily digests
(`caresight/notifications`); and one at 03:30: the returns' monthly partitions
(`caresight returns_partitions`). `--once` runs the due schedules once and exits, for cron."""

import contextlib
import logging

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from caresight.reports.services import LONDON, schedules_run_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Build and email the authorities' scheduled reports when they are due: every "
            "minute, record each run that has come due (one per schedule and report date, "
            "never two) and queue its background task, which publishes the report (or reuses "
            "the publication already made) and emails it to the schedule's distribution list. "
            "At 07:00 it also makes the day's notifications and sends the daily digests "
            "(`caresight notify run-daily`, `caresight notify send-digests`); at 03:30 it "
            "makes the coming months' partitions of the returns and drops those past the "
            "retention period (`caresight returns_partitions`, PostgreSQL). "
            "Run `caresight db_worker` beside it. --once: run the due schedules once and exit "
            "(for cron: `* * * * * caresight scheduler --once`).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="run the schedules that are due now, once, and exit")

    def handle(self, *args, once: bool, **options):
        if once:
            self.stdout.write(self._tick())
            return
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(timezone=LONDON)
        scheduler.add_job(self._job, "cron", minute="*", id="schedules_run_due",
                          max_instances=1, coalesce=True, misfire_grace_time=50,
                          next_run_time=timezone.now())
        scheduler.add_job(self._notifications, "cron", hour=7, minute=0,
                          id="notifications_daily", max_instances=1, coalesce=True,
                          misfire_grace_time=3600)
        scheduler.add_job(self._partitions, "cron", hour=3, minute=30,
                          id="returns_partitions_daily", max_instances=1, coalesce=True,
                          misfire_grace_time=6 * 3600)
        self.stdout.write("Scheduler started: the due reports are looked for every minute "
                          "(Ctrl-C to stop).")
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()

    def _tick(self) -> str:
        runs = schedules_run_due()
        if not runs:
            return "No scheduled report is due."
        return "\n".join(
            f"Queued {run.schedule.kind} for {run.schedule.authority.name}, "
            f"{run.period_from} to {run.as_of} (run {run.pk})." for run in runs)

    def _job(self) -> None:
        # A long-running process: a database connection that broke or grew old is dropped
        # before and after each pass, as Django does around a request.
        close_old_connections()
        try:
            logger.info(self._tick())
        except Exception:  # the scheduler keeps going; the next minute tries again
            logger.exception("Looking for due scheduled reports failed")
        finally:
            close_old_connections()

    def _notifications(self) -> None:
        """The day's notifications, then the digests (each idempotent: safe if run twice)."""
        from caresight.notifications.services import notifications_run_daily, send_digests

        close_old_connections()
        try:
            logger.info("Daily notifications: %s", notifications_run_daily())
            logger.info("Daily digests queued: %s", send_digests())
        except Exception:  # the scheduler keeps going
            logger.exception("The daily notifications failed")
        finally:
            close_old_connections()

    def _partitions(self) -> None:
        """The returns' partitions: the months ahead made, those past the retention dropped."""
        from django.conf import settings

        from caresight.returns import partitions

        close_old_connections()
        try:
            done = partitions.maintain(
                retention_months=settings.CARESIGHT_RETURNS_RETENTION_MONTHS)
            logger.info("Returns partitions: made %s; dropped %s",
                        [part.name for part in done.created] or "none",
                        [part.name for part in done.dropped.partitions]
                        if done.dropped else "none (every month is kept)")
        except Exception:  # the scheduler keeps going; tomorrow tries again
            logger.exception("The returns partitions' upkeep failed")
        finally:
            close_old_connections()
