"""Benchmark the returns' monthly partitions on PostgreSQL (issue 17, point 3).

"Returns (and their history) partitioned by month on PostgreSQL, so a year's data and its
indexes stay fast to write and to drop past a retention period." The driver creates a fresh
PostgreSQL database, runs `caresight migrate`, and starts one worker (this script with
--worker) with DATABASE_URL set and DEBUG off. The worker:

1. turns the returns tables back into plain ones (`migrate returns 0005`), loads a register
   of --locations generated CQC locations (_common.load_register) and fills the returns and
   their history with one return a day for every service for --days days from --start, by
   INSERT … SELECT in SQL (the same answers every day: what is timed here is storage, not the
   JSON);
2. on the plain tables, times one day's returns written for every service (INSERT … SELECT
   into both tables, in a transaction rolled back), each service's latest return found
   (`current.latest_return_ids`), the kept current state brought up to date with the last
   day's returns by their IDs (`current.keep`, rolled back) and a month deleted (DELETE,
   rolled back);
3. times `migrate returns` (migration 0006: the tables rebuilt as partitioned tables, every
   row moved, the indexes built) and prints rows a second;
4. on the partitioned tables, times the same day's write, latest returns and keep, then a month
   dropped (`partitions.drop_before`, rolled back), and `partitions.ensure_for` for a month
   that exists (known to the process, and not) and for a new month (rolled back).

Each timed thing runs --repeat times (median printed). Nothing here is a pass/fail target:
the figures say what partitioning costs and saves at the size run.

    .venv/bin/python bench/returns_partitions.py                        # 5,000 x 120 days
    .venv/bin/python bench/returns_partitions.py --locations 25000 --days 365
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_partitions_bench"
START = dt.date(2020, 4, 1)
ANSWERS = ('{"beds_registered": 40, "beds_occupied": 35, "nurses_employed": 8, '
           '"care_workers_employed": 30, "ppe_days_masks": 20, "visiting_status": "open"}')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=5_000,
                        help="services in the register (default 5,000)")
    parser.add_argument("--days", type=int, default=120,
                        help="days of returns, one a service a day (default 120)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=START,
                        help=f"the first day of returns (default {START})")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    _common.add_sample_arguments(parser)
    _common.add_database_arguments(parser, default_url=DEFAULT_URL, sqlite=None)
    _common.add_worker_arguments(parser)
    args = parser.parse_args(argv)
    args.reuse = args.keep = False  # the worker rebuilds the tables: always a fresh database
    return args


class Rollback(Exception):
    pass


def _timed(call, repeat: int, *, rolled_back: bool = False) -> float:
    """The median seconds of `call`, each run inside a transaction rolled back if asked."""
    from django.db import transaction

    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        if rolled_back:
            try:
                with transaction.atomic():
                    call()
                    times.append(time.perf_counter() - began)
                    raise Rollback
            except Rollback:
                pass
        else:
            call()
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def _fill(args, cursor) -> int:
    """One return a service a day, each with its history row, by SQL; the returns written."""
    last = args.start + dt.timedelta(days=args.days - 1)
    cursor.execute(
        "INSERT INTO returns_return (location_id, measure_set_id, for_date, version, values, "
        "source, submitted_at) SELECT l.id, %s, d::date, 1, %s::jsonb, 'import', now() "
        "FROM registry_location l, generate_series(%s::date, %s::date, '1 day') d",
        [args.measure_set, ANSWERS, args.start, last])
    cursor.execute(
        "INSERT INTO returns_historicalreturn (id, location_id, measure_set_id, for_date, "
        "version, values, source, submitted_at, history_date, history_type) "
        "SELECT id, location_id, measure_set_id, for_date, 1, values, source, submitted_at, "
        "now(), '+' FROM returns_return")
    cursor.execute("SELECT count(*) FROM returns_return")
    return cursor.fetchone()[0]


def _write_day(cursor, args, day: dt.date):
    def write():
        cursor.execute(
            "INSERT INTO returns_return (location_id, measure_set_id, for_date, version, "
            "values, source, submitted_at) SELECT id, %s, %s, 1, %s::jsonb, 'import', now() "
            "FROM registry_location", [args.measure_set, day, ANSWERS])
        cursor.execute(
            "INSERT INTO returns_historicalreturn (id, location_id, measure_set_id, for_date, "
            "version, values, source, submitted_at, history_date, history_type) "
            "SELECT id, location_id, measure_set_id, for_date, 1, values, source, "
            "submitted_at, now(), '+' FROM returns_return WHERE for_date = %s", [day])
    return write


def worker(args: argparse.Namespace) -> None:
    _common.setup_django()
    from django.core.management import call_command
    from django.db import connection

    from caresight.returns import current, partitions
    from caresight.returns.models import Return
    from caresight.returns.selectors import measure_set_for

    call_command("migrate", "returns", "0005_current_return", verbosity=0)
    register = _common.load_register(args.locations, seed=args.seed, sample=args.sample,
                                     community_every=0)
    print(f"Register loaded: {register['locations']:,} services in "
          f"{register['seconds']:.0f} s.", flush=True)
    args.measure_set = measure_set_for(service_type="care_home", as_of=args.start).pk
    began = time.perf_counter()
    with connection.cursor() as cursor:
        rows = _fill(args, cursor)
        cursor.execute("VACUUM ANALYZE returns_return")
        cursor.execute("VACUUM ANALYZE returns_historicalreturn")
    print(f"Filled {rows:,} returns and as many history rows in "
          f"{time.perf_counter() - began:.0f} s.", flush=True)

    last_day = args.start + dt.timedelta(days=args.days - 1)
    new_day = last_day + dt.timedelta(days=1)
    month = partitions.month_start(args.start)  # the first month: the only one dropped
    figures: dict[str, dict[str, float]] = {"plain": {}, "partitioned": {}}

    def common(kind: str) -> None:
        with connection.cursor() as cursor:
            figures[kind]["write a day"] = _timed(_write_day(cursor, args, new_day),
                                                  args.repeat, rolled_back=True)
        figures[kind]["latest return of each service"] = _timed(current.latest_return_ids,
                                                                args.repeat)
        day_ids = list(Return.objects.filter(for_date=last_day).values_list("pk", flat=True))
        figures[kind]["kept current state of a day's returns (by ID)"] = _timed(
            lambda: current.keep(day_ids), args.repeat, rolled_back=True)

    common("plain")
    with connection.cursor() as cursor:
        def delete_month():
            for table in partitions.TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE for_date >= %s "  # nosec B608
                               "AND for_date < %s", [month, partitions.add_months(month, 1)])
        figures["plain"]["remove a month (DELETE)"] = _timed(delete_month, args.repeat,
                                                             rolled_back=True)
    print("Timed the plain tables; partitioning them (migration 0006)…", flush=True)
    began = time.perf_counter()
    call_command("migrate", "returns", verbosity=0)
    migrate_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE returns_return")
        cursor.execute("ANALYZE returns_historicalreturn")
    partitions.ensure_for([new_day])
    common("partitioned")
    figures["partitioned"]["remove a month (drop_before)"] = _timed(
        lambda: partitions.drop_before(partitions.add_months(month, 1)), args.repeat,
        rolled_back=True)

    def known():
        for _ in range(1000):
            partitions.ensure_for([new_day])
    ensure = {"ensure_for, month known to the process (per call)":
              _timed(known, args.repeat) / 1000}

    def looked_up():
        partitions.forget()
        partitions.ensure_for([new_day])
    ensure["ensure_for, month exists, not known"] = _timed(looked_up, args.repeat)
    ensure["ensure_for, month made"] = _timed(
        lambda: partitions.ensure_for([dt.date(1999, 1, 1)]), args.repeat, rolled_back=True)
    _common.report({"rows": rows, "locations": register["locations"], "days": args.days,
                    "migrate_seconds": migrate_seconds, "figures": figures,
                    "ensure": ensure})


def driver(args: argparse.Namespace) -> None:
    _common.banner("Returns partitioned by month (PostgreSQL)")
    result = _common.run_on_postgres(Path(__file__), args, [
        "--locations", str(args.locations), "--days", str(args.days),
        "--start", args.start.isoformat(), "--repeat", str(args.repeat),
        "--seed", str(args.seed), "--sample", str(args.sample)])
    if result is None:
        return
    rows = result["rows"]
    print(f"\n{result['locations']:,} services x {result['days']} days = {rows:,} returns "
          f"(and {rows:,} history rows).")
    print(f"Migration 0006 (both tables rebuilt partitioned, rows moved, indexes built): "
          f"{result['migrate_seconds']:.1f} s, {2 * rows / result['migrate_seconds']:,.0f} "
          "rows/s.\n")
    plain, parted = result["figures"]["plain"], result["figures"]["partitioned"]
    table = [[name, f"{plain[name] * 1000:.1f}", f"{parted[name] * 1000:.1f}"]
             for name in plain if name in parted]
    table.append(["remove a month", f"{plain['remove a month (DELETE)'] * 1000:.1f} (DELETE)",
                  f"{parted['remove a month (drop_before)'] * 1000:.1f} (DROP)"])
    _common.print_table(["median ms", "plain tables", "partitioned"], table)
    print()
    _common.print_table(["partitions.ensure_for", "median ms"],
                        [[name, f"{seconds * 1000:.3f}"]
                         for name, seconds in result["ensure"].items()])


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
