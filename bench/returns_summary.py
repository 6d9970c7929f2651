"""Benchmark the returns summary over a year of national returns, on PostgreSQL.

Targets (issue 17, PostgreSQL): "national returns summary, today: under 20 ms; any past date:
under 200 ms; one authority's summary, any date: under 20 ms" (issue 3's: under 500 ms).

The driver creates a fresh PostgreSQL database, runs `caresight migrate`, and starts one
worker process (this script with --worker) with DATABASE_URL set and DEBUG off. The worker:

1. loads a register of --locations generated CQC locations with run_import("cqc") and
   makes every fifth one a home care service (_common.load_register);
2. fills returns_return with one return a day for every service for --days days from
   --start (25,000 x 365 = 9.1 million rows), straight into PostgreSQL with COPY, day after
   day as the returns would arrive: each service's answers to every measure of its measure
   set, a little changed from the day before (_common.ServiceAnswers). Not through the
   import, and with no history rows: the summary reads neither;
3. runs VACUUM ANALYZE on the returns table and ANALYZE on the rest (autovacuum would do
   both soon after a bulk load);
4. times returns_summary(user=OPERATOR, as_of=D, previous=D - 7 days, authority=A) in-process —
   what `caresight summary returns --as-of D --previous … [--authority A] --format json`
   calls — nationally (A = None) and for the authority with the most services, for each
   --as-of date, three ways: with no authority's totals kept for the day (each call after
   forgetting them; the previous week's stay kept: the first view after a national import),
   after one authority's change (its totals forgotten before each call, as a return written
   there would), and with every authority's totals kept (--warmup untimed calls, then
   --repeat timed ones).

Filling takes several minutes: --keep leaves the database in place afterwards and --reuse
uses it again (after `caresight migrate`, so new migrations such as an index apply).

    .venv/bin/python bench/returns_summary.py --keep          # fill, time, keep the database
    .venv/bin/python bench/returns_summary.py --reuse --keep  # time again on the same data
    .venv/bin/python bench/returns_summary.py --reuse --keep --show-sql --explain 3
    .venv/bin/python bench/returns_summary.py --locations 2000 --days 30   # a quick try
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

# Issue 17: nationally under 20 ms today (from the kept current state) and under 200 ms for
# a past day (through the returns' index); one authority under 20 ms on any day.
TARGETS_MS = {("national", True): 20.0, ("national", False): 200.0,
              ("authority", True): 20.0, ("authority", False): 20.0}
TODAY = dt.date.today()


def settle_start(args: argparse.Namespace) -> argparse.Namespace:
    """The returns end today unless --start says otherwise, so that today's figures read the
    kept current state."""
    if args.start is None:
        args.start = TODAY - dt.timedelta(days=args.days - 1)
    return args
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_returns_bench"
AS_OF = [(TODAY - dt.timedelta(days=back)).isoformat() for back in (318, 227, 136, 20, 0)]
GROUP_OF_TYPE, TYPE_OF_GROUP = _common.GROUP_OF_TYPE, _common.TYPE_OF_GROUP
COPY_COLUMNS = ("location_id", "measure_set_id", "for_date", "version", "source",
                "submitted_by_id", "submitted_at", "values")


def add_year_of_returns_arguments(parser: argparse.ArgumentParser, *, default_url: str,
                                  timed: str) -> None:
    """The options of a benchmark over a filled year of returns (this one and
    outbreaks_risk.py): the register and returns to fill, the database, and diagnosis of
    one call of each `timed` thing."""
    parser.add_argument("--locations", type=int, default=25_000,
                        help="locations on the register, one return each a day (default 25000)")
    parser.add_argument("--community-every", type=int, default=5, metavar="N",
                        help="make every Nth location a home care service (default 5: 20%%)")
    parser.add_argument("--days", type=int, default=365,
                        help="days of returns (default 365)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=None,
                        help="the first day of returns, YYYY-MM-DD (default: --days before "
                        "today, so that the last day is today)")
    parser.add_argument("--authority", metavar="ONS_CODE",
                        help="the authority to time (default: the one with most services)")
    parser.add_argument("--providers", type=int, default=12_000,
                        help="distinct providers among the locations (default 12000)")
    _common.add_sample_arguments(parser)
    _common.add_database_arguments(parser, default_url=default_url, sqlite=None)
    parser.add_argument("--keep", action="store_true",
                        help="leave the filled database in place afterwards")
    parser.add_argument("--show-sql", action="store_true",
                        help=f"print the SQL statements of one call of each {timed}, with times")
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="EXPLAIN (ANALYZE, BUFFERS) the N slowest statements of one call "
                        f"of each {timed}, on the last --as-of day")
    parser.add_argument("--profile", action="store_true",
                        help=f"profile one call of each {timed} with cProfile, on the last "
                        "--as-of day")
    _common.add_worker_arguments(parser)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time returns_summary (national and one authority) over a year of daily "
        "returns from every service on a register of N locations, on PostgreSQL. The "
        "returns are written straight into the database with COPY, not through the import.",
    )
    add_year_of_returns_arguments(parser, default_url=DEFAULT_URL, timed="summary")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, nargs="+", metavar="DATE",
                        default=[dt.date.fromisoformat(d) for d in AS_OF],
                        help="days to summarise, each with previous = 7 days before "
                        f"(default {' '.join(AS_OF)}; days outside the filled ones are "
                        "dropped)")
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed calls per summary and day (default 15)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed calls per summary and day first (default 2)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database if it exists (filled by an earlier --keep run "
                        "with the same --locations, --days and --start) instead of filling "
                        "a new one")
    return settle_start(parser.parse_args(argv))


# --- Worker: filling ----------------------------------------------------------------------


def fill(args: argparse.Namespace, connection) -> dict:
    """Load the register and COPY a return a day for each service; VACUUM ANALYZE."""
    from caresight.registry.models import Location
    from caresight.returns.models import Return
    from caresight.returns.selectors import measure_set_for

    print(f"Loading a register of {args.locations:,} locations…", flush=True)
    register = _common.load_register(args.locations, providers=args.providers, seed=args.seed,
                                     sample=args.sample, community_every=args.community_every)
    print(f"Register loaded in {register['seconds']:.1f} s ({register['community']:,} made "
          "home care services).", flush=True)
    definitions = _common.measure_set_definitions()
    set_ids = {group: measure_set_for(service_type=service_type, as_of=args.start).pk
               for group, service_type in TYPE_OF_GROUP.items()}
    rng = random.Random(args.seed)
    services = []
    for pk, service_type, beds in Location.objects.order_by("pk").values_list(
            "pk", "service_type", "registered_beds"):
        group = GROUP_OF_TYPE.get(service_type)
        if group:
            services.append((f"{pk}\t{set_ids[group]}\t",
                             _common.ServiceAnswers(definitions[group], size=beds, rng=rng)))
    table = connection.ops.quote_name(Return._meta.db_table)
    copy_sql = f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    from caresight.returns import partitions

    partitions.ensure_for(args.start + dt.timedelta(days=n) for n in range(args.days))
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    began = time.perf_counter()
    rows = 0
    for n in range(args.days):
        day = args.start + dt.timedelta(days=n)
        middle = f"{day}\t1\timport\t\\N\t{day} 09:15:00+00\t"
        text = "".join([prefix + middle + dumps(answers.next_day()) + "\n"
                        for prefix, answers in services])
        if "\\" in text.replace("\\N", ""):
            raise SystemExit("A generated answer holds a backslash; COPY would misread it.")
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            copy.write(text)
        rows += len(services)
        if (n + 1) % 30 == 0 or n + 1 == args.days:
            spent = time.perf_counter() - began
            print(f"Filled {n + 1} days, {rows:,} returns in {spent:.0f} s "
                  f"({rows / spent:,.0f} rows/s).", flush=True)
    fill_seconds = time.perf_counter() - began
    # Written behind the services' backs, so the kept current state is made afresh, as
    # `caresight current_returns rebuild` does.
    from django.db import transaction

    from caresight.returns import current

    began = time.perf_counter()
    with transaction.atomic():
        current.rebuild()
    rebuild_seconds = time.perf_counter() - began
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")
    return {"register": register, "rows": rows, "fill_seconds": fill_seconds,
            "rebuild_seconds": rebuild_seconds,
            "analyze_seconds": time.perf_counter() - began}


def check_filled(args: argparse.Namespace) -> str | None:
    """None if the database holds what this run would fill, else what differs."""
    from django.db.models import Max, Min

    from caresight.registry.models import Location
    from caresight.returns.models import Return

    locations = Location.objects.count()
    span = Return.objects.aggregate(first=Min("for_date"), last=Max("for_date"))
    last = args.start + dt.timedelta(days=args.days - 1)
    if locations != args.locations or span["first"] != args.start or span["last"] != last:
        return (f"it holds {locations:,} locations and returns from {span['first']} to "
                f"{span['last']}, not {args.locations:,} locations from {args.start} to {last}")
    return None


def fill_unless_reused(args: argparse.Namespace, connection) -> dict | None:
    """fill() the database, or (with --reuse) check it holds what fill() would: None then."""
    from caresight.returns.models import Return

    problem = check_filled(args) if args.reuse and Return.objects.exists() else "empty"
    if problem == "empty":
        return fill(args, connection)
    if problem:
        raise SystemExit(f"The database cannot be reused: {problem}. Run without --reuse to "
                         "fill it again.")
    return None


def as_of_days(args: argparse.Namespace) -> list[dt.date]:
    """The --as-of days within the filled ones."""
    last = args.start + dt.timedelta(days=args.days - 1)
    days = [d for d in args.as_of if args.start <= d <= last]
    if not days:
        raise SystemExit(f"None of the --as-of days is between {args.start} and {last}.")
    return days


def worker_arguments(args: argparse.Namespace) -> list[str]:
    """The worker's options from add_year_of_returns_arguments, --as-of, --repeat, --warmup
    and --reuse."""
    return [
        "--locations", str(args.locations), "--community-every", str(args.community_every),
        "--days", str(args.days), "--start", args.start.isoformat(),
        "--as-of", *[d.isoformat() for d in args.as_of],
        "--repeat", str(args.repeat), "--warmup", str(args.warmup),
        "--providers", str(args.providers), "--seed", str(args.seed),
        "--sample", str(args.sample), "--explain", str(args.explain),
        *(["--authority", args.authority] if args.authority else []),
        *(["--reuse"] if args.reuse else []),
        *(["--show-sql"] if args.show_sql else []),
        *(["--profile"] if args.profile else []),
    ]


def print_filled(filled: dict) -> None:
    print(f"Filled: register of {filled['register']['locations']:,} locations "
          f"({filled['register']['community']:,} home care) in "
          f"{filled['register']['seconds']:.0f} s; {filled['rows']:,} returns by COPY in "
          f"{filled['fill_seconds']:.0f} s ({filled['rows'] / filled['fill_seconds']:,.0f} "
          f"rows/s); kept current state rebuilt in {filled.get('rebuild_seconds', 0):.1f} s; "
          f"VACUUM ANALYZE {filled['analyze_seconds']:.0f} s.")


# --- Worker: timing -----------------------------------------------------------------------


def plain_sql(day: dt.date, authority_id: int | None) -> tuple[str, list]:
    """The summary's main work as one hand-written statement: each service's current return
    on `day` and the sums and counts of its answers by locality and service type — from the
    kept current state for today, else through the returns' index (LATERAL)."""
    from caresight.returns.models import KEPT_FLAGS, KEPT_NUMBERS, KEPT_TEXTS

    types = list(GROUP_OF_TYPE)
    where = "l.service_type = ANY(%s)" + (" AND l.authority_id = %s" if authority_id else "")
    params: list = [types, *([authority_id] if authority_id else [])]
    if day >= TODAY:
        def number(code):
            return f"c.{code}"

        def flag(code):
            return f"c.{code}"
        source = ("LEFT JOIN returns_currentreturn c ON c.location_id = l.id "
                  "AND c.for_date <= %s AND c.for_date > %s")
    else:
        def number(code):
            return f"(c.v ->> '{code}')::int"

        def flag(code):
            return f"(c.v ->> '{code}')::boolean"
        source = ("LEFT JOIN LATERAL (SELECT r.location_id, r.\"values\" AS v "
                  "FROM returns_return r WHERE r.location_id = l.id AND r.for_date <= %s "
                  "AND r.for_date > %s ORDER BY r.for_date DESC LIMIT 1) c ON true")
    aggregates = ["COUNT(*)", "COUNT(c.location_id)"]
    aggregates += [f"SUM({number(code)}), COUNT({number(code)})" for code in KEPT_NUMBERS]
    aggregates += [f"COUNT(*) FILTER (WHERE {flag(code)}), COUNT({flag(code)})"
                   for code in KEPT_FLAGS]
    aggregates += [f"COUNT(*) FILTER (WHERE c.{code} IS NOT NULL)" if day >= TODAY else
                   f"COUNT(c.v ->> '{code}')" for code in KEPT_TEXTS]
    sql = (f"SELECT l.locality_id, l.service_type, {', '.join(aggregates)} "  # nosec B608
           f"FROM registry_location l {source} WHERE {where} GROUP BY 1, 2")
    return sql, [day, day - dt.timedelta(days=7), *params]


def worker(args: argparse.Namespace) -> None:
    _common.setup_django()
    from django.db import connection, transaction
    from django.db.models import Count

    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Location
    from caresight.returns import kept_totals
    from caresight.returns.models import KeptTotals, Return
    from caresight.returns.selectors import returns_summary

    filled = fill_unless_reused(args, connection)
    if filled is None:
        print("Reusing the filled database.", flush=True)
    with connection.cursor() as cursor:
        table = Return._meta.db_table
        total_bytes, heap_bytes = _common.table_bytes(cursor, table)
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                       "ORDER BY indexname", [table])
        indexes = [row[1] for row in cursor.fetchall()]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    authority = args.authority or (
        Location.objects.filter(service_type__in=list(GROUP_OF_TYPE))
        .values("authority__ons_code").annotate(n=Count("pk")).order_by("-n", "authority__ons_code")
        .values_list("authority__ons_code", flat=True).first())
    authority_id = Location.objects.filter(authority__ons_code=authority).values_list(
        "authority_id", flat=True).first()
    authority_services = Location.objects.filter(authority__ons_code=authority,
                                                 service_type__in=list(GROUP_OF_TYPE)).count()
    days = as_of_days(args)

    summaries = []
    for scope, code in (("national", None), (f"authority {authority}", authority)):
        for day in days:
            previous = day - dt.timedelta(days=7)

            def call(day=day, previous=previous, code=code):
                return returns_summary(user=OPERATOR, as_of=day, previous=previous, authority=code)

            def forget_the_day(day=day):  # a national import of the day
                KeptTotals.objects.filter(for_date=day).delete()

            def forget_one(day=day, previous=previous):  # a return in one authority, say
                with transaction.atomic():
                    kept_totals.forget([authority_id], since=previous)

            # Worked out afresh (no authority's totals kept for the day, the previous week's
            # kept: the first view after a national import of the day), after one authority's
            # change (the rest kept), and with every authority's totals kept.
            afresh, _, _ = _common.timed_calls(call, repeat=args.repeat, warmup=0,
                                               prepare=forget_the_day)
            changed, _, _ = _common.timed_calls(call, repeat=args.repeat, warmup=0,
                                                prepare=forget_one)
            times, _, summary = _common.timed_calls(call, repeat=args.repeat,
                                                    warmup=args.warmup)
            sql = _common.sql_of(call)
            label = f"{scope}, {day}"
            if args.show_sql:
                _common.print_sql(label, sql)
            if args.explain and day == days[-1]:
                _common.explain_slowest(connection, label, sql, args.explain)
            if args.profile and day == days[-1]:
                _common.profile_call(call, label)
            sql_text, sql_params = plain_sql(day, authority_id if code else None)

            def plain(sql_text=sql_text, sql_params=sql_params):
                with connection.cursor() as cursor:
                    cursor.execute(sql_text, sql_params)
                    return cursor.fetchall()

            plain_times, _, _ = _common.timed_calls(plain, repeat=args.repeat,
                                                    warmup=args.warmup)
            summaries.append({
                "scope": scope, "as_of": day.isoformat(), "times_ms": times,
                "afresh_ms": afresh, "changed_ms": changed,
                "plain_ms": plain_times, "today": day >= TODAY,
                "queries": len(sql), "sql_ms": sum(ms for ms, _ in sql),
                "locations": summary["locations"], "reported": summary["reported"],
                "completion_rate": summary["completion_rate"],
            })
            print(f"{label}: median {statistics.median(times):.0f} ms kept, "
                  f"{statistics.median(changed):.0f} ms after one authority's change, "
                  f"{statistics.median(afresh):.0f} ms afresh", flush=True)
    _common.report({
        "database": _common.database_label(args.database_url), "server": server,
        "filled": filled, "returns": Return.objects.count(),
        "locations": Location.objects.count(), "authority": authority,
        "authority_services": authority_services, "table_bytes": total_bytes,
        "heap_bytes": heap_bytes, "indexes": indexes, "repeat": args.repeat,
        "summaries": summaries, "load_average": os.getloadavg(),
    })


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Returns summary benchmark")
    result = _common.run_on_postgres(Path(__file__).resolve(), args, worker_arguments(args))
    if result:
        _print_result(result)


def _print_result(res: dict) -> None:
    print()
    if res["filled"]:
        print_filled(res["filled"])
    print(f"PostgreSQL {res['server']}: {res['returns']:,} returns "
          f"({res['table_bytes'] / 1e9:.1f} GB with indexes, heap "
          f"{res['heap_bytes'] / 1e9:.1f} GB), {res['locations']:,} locations; authority "
          f"{res['authority']} has {res['authority_services']:,} services. Indexes: "
          + "; ".join(res["indexes"]))
    print(f"{res['repeat']} timed calls of returns_summary(user=OPERATOR, as_of=D, "
          "previous=D - 7 days) each:")
    print()
    rows = []
    for s in res["summaries"]:
        times = s["times_ms"]
        target = TARGETS_MS[(s["scope"].split()[0], s["today"])]
        changed = s["changed_ms"]
        rows.append([s["scope"], s["as_of"] + (" (today)" if s["today"] else ""),
                     f"{statistics.median(times):.1f}",
                     f"{_common.percentile(times, 0.9):.1f}",
                     f"{statistics.median(changed):.1f}",
                     f"{statistics.median(s['afresh_ms']):.0f}",
                     f"{statistics.median(s['plain_ms']):.1f}", f"{target:.0f}",
                     "yes" if statistics.median(times) < target else "NO",
                     "yes" if statistics.median(changed) < target else "NO",
                     s["queries"], f"{s['sql_ms']:.0f}", f"{s['locations']:,}",
                     f"{s['reported']:,}"])
    _common.print_table(["summary", "as of", "kept ms", "kept p90", "one changed ms",
                         "afresh ms", "plain SQL ms", "target ms", "met kept",
                         "met one changed", "queries", "SQL ms", "services", "reported"], rows)
    print()
    print("kept: every authority's totals kept (median of the timed calls); one changed: "
          "the authority's totals forgotten before each call (a return written there), "
          "the others kept; afresh: no authority's totals kept for the day, the previous week's "
          "kept (the first view after a national import of the day). "
          "Queries and SQL ms are of a kept call.")
    print("plain SQL: the same sums and counts for the day, by locality and service type, "
          "in one hand-written statement (kept current state today, LATERAL over the "
          "returns' index for a past day), without the previous day's figures.")
    print(f"Load average at the end: {_common.loads(res['load_average'])}.")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
