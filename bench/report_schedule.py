"""Benchmark the report scheduler: every authority's weekly report built and emailed by it.

Target (issue 15): "All 150 authorities' weekly reports built by the scheduler in under 10
minutes on this machine."

The driver creates a fresh PostgreSQL database, runs `caresight migrate`, and starts one
worker process (this script with --worker) with DATABASE_URL set and DEBUG off. The worker:

1. loads a national register of --locations generated CQC locations (default 25,000, every
   fifth a home care service) with `_common.load_register`, as the other national benchmarks
   do, and takes the --authorities authorities (default 150) with the most services;
2. gives each a week of narrative entries (--entries a day, default 1, in the sections of the
   highlight report, for the seven days the report covers: 7 entries each by default). No
   returns, outbreaks or other records: the report's data sections are built over the
   authority's register and say what they have (the highlight report's sections read the
   outbreaks, returns, decisions and workforce tables, empty here, and the register);
3. adds one weekly schedule per authority (Monday 08:00, the highlight report, a distribution
   list of 3 addresses), made before that time;
4. with Django's in-memory (locmem) email backend in the worker — nothing is really sent; the
   SMTP path is tested against a real server in the tests — times what the scheduler and the
   worker do at Monday 08:00:
   - `schedules_run_due(now)`: one ScheduledRun per schedule, each with its background task
     queued (django-tasks' database backend, as in production);
   - every run's task, one after the other, by calling the task function directly in this
     process (`run_scheduled_report.call`): publish the report (figures, HTML, PDF and Word,
     hashed and kept) and queue its email to the 3 recipients (3 delivery records each);
   - then `send_due()`: the deliveries "sent" through locmem (recorded as sent);
5. prints the total seconds (the scheduler's pass plus every task), each report's median and
   max, the sending, the worker's peak resident memory, and PASS/FAIL against 600 s.

    .venv/bin/python bench/report_schedule.py                       # ~10 min, mostly loading
    .venv/bin/python bench/report_schedule.py --locations 2000 --authorities 10   # a quick try
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_schedule_bench"
TARGET_SECONDS = 600.0
SECTIONS = ["new_guidance", "new_challenges", "recovery", "decisions", "financial", "workforce",
            "communications", "horizon"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the report scheduler building and emailing every authority's weekly "
        "highlight report, on a fresh PostgreSQL database.")
    parser.add_argument("--locations", type=int, default=25_000,
                        help="generated CQC locations in the register (default 25,000)")
    parser.add_argument("--authorities", type=int, default=150,
                        help="authorities with a weekly schedule (default 150)")
    parser.add_argument("--entries", type=int, default=1,
                        help="narrative entries a day for each authority (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="print where the runs' Python memory was allocated")
    _common.add_database_arguments(parser, default_url=DEFAULT_URL, sqlite=None)
    _common.add_worker_arguments(parser)
    return parser.parse_args(argv)


# --- Worker -----------------------------------------------------------------------------------


def _current_rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker(args: argparse.Namespace) -> None:
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    _common.setup_django()
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count

    from caresight.core import email
    from caresight.core.models import EmailDelivery
    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Authority
    from caresight.reports import services
    from caresight.reports.models import NarrativeEntry, PublishedReport, ReportSchedule
    from caresight.reports.tasks import run_scheduled_report

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # no real sending
    loaded = _common.load_register(args.locations)
    loaded_rss = _common.peak_rss_mb()
    print(f"Loaded {loaded['locations']:,} locations in {loaded['seconds']:.1f} s (peak memory "
          f"so far {loaded_rss:.0f} MB).", flush=True)
    authorities = list(Authority.objects.annotate(services=Count("locations")).filter(
        services__gt=0).order_by("-services", "ons_code")[:args.authorities])
    now = dt.datetime.now(ZoneInfo("Europe/London"))
    # The Monday 08:00 that has just gone (or is today): the run is due then.
    monday = now.date() - dt.timedelta(days=now.weekday())
    due = dt.datetime.combine(monday, dt.time(8), tzinfo=ZoneInfo("Europe/London"))
    if due > now:
        due -= dt.timedelta(days=7)
    week = [due.date() - dt.timedelta(days=d) for d in range(7, 0, -1)]
    NarrativeEntry.objects.bulk_create([
        NarrativeEntry(authority=a, section=SECTIONS[(n + i) % len(SECTIONS)], on=day,
                       text=f"{a.name}: update {n + 1} for {day:%d %B}. Providers report "
                            "staffing pressures; visiting arrangements reviewed.")
        for a in authorities for n, day in enumerate(week) for i in range(args.entries)])
    for a in authorities:
        services.schedule_save(user=OPERATOR, authority=a, kind="highlight",
                               frequency="weekly", weekday=0, time_of_day=dt.time(8),
                               recipients=[f"{role}@{a.ons_code.lower()}.example.gov.uk"
                                           for role in ("dass", "dph", "comms")])
    ReportSchedule.objects.update(created_at=due - dt.timedelta(days=1))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    counts = dict(authorities=len(authorities),
                  services=sum(a.services for a in authorities),
                  entries=NarrativeEntry.objects.count())
    print(f"{counts['authorities']} authorities ({counts['services']:,} services), "
          f"{counts['entries']:,} narrative entries, one weekly schedule each; the run is due "
          f"{due:%A %d %B %Y %H:%M}.", flush=True)

    began = time.perf_counter()
    runs = services.schedules_run_due(due)
    due_seconds = time.perf_counter() - began
    print(f"schedules_run_due: {len(runs)} runs recorded and queued in {due_seconds:.2f} s.",
          flush=True)
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)
    times = []
    for n, run in enumerate(runs, start=1):
        one = time.perf_counter()
        run_scheduled_report.call(run.pk)
        times.append(time.perf_counter() - one)
        if n % 25 == 0:
            print(f"  {n} reports published and emailed, {sum(times):.0f} s so far; memory "
                  f"now {_current_rss_mb():.0f} MB", flush=True)
    total = due_seconds + sum(times)
    if args.tracemalloc:
        snapshot = tracemalloc.take_snapshot()
        for stat in snapshot.statistics("traceback")[:8]:
            print(f"{stat.size / 1e6:.1f} MB in {stat.count} blocks", flush=True)
            for line in stat.traceback.format()[-16:]:
                print("   ", line, flush=True)
    again = services.schedules_run_due(due + dt.timedelta(minutes=1))
    began = time.perf_counter()
    sent = email.send_due()
    send_seconds = time.perf_counter() - began
    statuses = {s: n for s, n in (services.ScheduledRun.objects.values_list("status")
                                  .annotate(n=Count("pk")))}
    _common.report({
        "database": _common.database_label(args.database_url), **counts,
        "load_seconds": loaded["seconds"], "runs": len(runs), "runs_again": len(again),
        "due_seconds": due_seconds, "report_seconds": times, "total_seconds": total,
        "published": PublishedReport.objects.count(), "statuses": statuses,
        "deliveries": EmailDelivery.objects.count(), "send_seconds": send_seconds,
        "sent": sent.sent, "failed": sent.failed, "peak_rss_mb": _common.peak_rss_mb(),
        "loaded_rss_mb": loaded_rss, "end_rss_mb": _current_rss_mb(),
        "load_average": os.getloadavg()})


# --- Driver -----------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Report scheduler benchmark")
    result = _common.run_on_postgres(
        Path(__file__).resolve(), args,
        ["--locations", str(args.locations), "--authorities", str(args.authorities),
         "--entries", str(args.entries)] + (["--tracemalloc"] if args.tracemalloc else []))
    if result is None:
        return
    times = result["report_seconds"]
    total = result["total_seconds"]
    print()
    print(f"{result['database']}: {result['authorities']} authorities, {result['services']:,} "
          f"services, {result['entries']:,} narrative entries; load average at the end "
          f"{_common.loads(result['load_average'])}")
    _common.print_table(["step", "seconds"], [
        ["schedules_run_due (runs recorded, tasks queued)", f"{result['due_seconds']:.2f}"],
        ["every run's task (publish + queue the email)", f"{sum(times):.1f}"],
        ["total (the target's figure)", f"{total:.1f}"],
        ["sending the deliveries (locmem backend)", f"{result['send_seconds']:.1f}"],
    ])
    if times:
        print(f"Per report: median {statistics.median(times):.2f} s, p90 "
              f"{_common.percentile(times, 0.9):.2f} s, max {max(times):.2f} s over "
              f"{len(times)} reports.")
    print(f"Runs: {result['runs']} recorded ({result['statuses']}); a second pass made "
          f"{result['runs_again']} more. Published reports: {result['published']}. Deliveries: "
          f"{result['deliveries']} ({result['sent']} sent, {result['failed']} failed).")
    print(f"Worker peak memory: {result['peak_rss_mb']:.0f} MB ({result['loaded_rss_mb']:.0f} MB "
          f"after loading the register, before any report); resident at the end "
          f"{result['end_rss_mb']:.0f} MB.")
    ok = (total < TARGET_SECONDS and result["published"] == result["authorities"]
          and result["runs_again"] == 0)
    print(f"All {result['authorities']} authorities' weekly reports built by the scheduler in "
          f"{total:.0f} s (target under {TARGET_SECONDS:.0f} s): {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
