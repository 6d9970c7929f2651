"""Benchmark the outbreak tracker and the risk log for a national install, on PostgreSQL.

Target (issue 4): "Tracker and risk log for a national install (25,000 locations, a year of
returns and 5,000 outbreaks): median under 500 ms on PostgreSQL."

The driver creates a fresh PostgreSQL database, runs `caresight migrate`, and starts one
worker process (this script with --worker) with DATABASE_URL set and DEBUG off. The worker:

1. loads the register and a year of returns as bench/returns_summary.py does (its `fill`:
   25,000 generated locations, every fifth a home care service, a return a day from every
   service by COPY, VACUUM ANALYZE);
2. records --outbreaks outbreaks through the services, in date order over the filled days
   (`outbreak_report`, then 0 to 5 `update_record`s each, new cases on some days), at care
   homes picked at random, never two open at one service at once; marks a tenth of the
   providers small; raises quality concerns (`concern_raise`, half closed later with
   `concern_close`) and risk overrides (`override_set`); then VACUUM ANALYZE on the tables
   it wrote;
3. times, for each --as-of day, `tracker(user=OPERATOR, as_of=D)` (what `caresight summary
   outbreaks --as-of D --format json` calls) and what the risk log page reads
   (`risk_log(user=OPERATOR, as_of=D)`, its counts and first 500 rows), nationally and for the
   authority with the most services: --warmup untimed calls, then --repeat timed ones. The
   risk log is timed with every authority's data changed before each call (read before the
   refresh: every rating worked out in memory, nothing written), with one authority's
   changed, then the refresh that keeps them (`risk_logs_refresh`, as the background task
   runs it after a change), with the kept logs current (after VACUUM ANALYZE of the kept
   logs, as autovacuum would run after the refreshes), reading every row, and reading the
   logs saved for the day.

Filling takes several minutes: --keep leaves the database in place afterwards and --reuse
uses it again (after `caresight migrate`, so new migrations such as an index apply).

    .venv/bin/python bench/outbreaks_risk.py --keep          # fill, time, keep the database
    .venv/bin/python bench/outbreaks_risk.py --reuse --keep  # time again on the same data
    .venv/bin/python bench/outbreaks_risk.py --reuse --keep --show-sql --explain 3 --profile
    .venv/bin/python bench/outbreaks_risk.py --locations 2000 --days 30 --outbreaks 200
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import returns_summary  # noqa: E402  (its options; the register and returns: fill)

TARGET_MS = 500.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_outbreaks_bench"
CARE_HOME_TYPES = ("care_home", "care_home_nursing")
SMALL_SHARE = 0.10
PAGE = 500  # rows on the risk log page (caresight.risk.views.SHOWN)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the outbreak tracker and the risk log (national and one authority) "
        "over a register of N locations with a year of daily returns (written by COPY, as "
        "bench/returns_summary.py does) and outbreaks, concerns and overrides recorded "
        "through the services, on PostgreSQL.",
    )
    returns_summary.add_year_of_returns_arguments(parser, default_url=DEFAULT_URL,
                                                  timed="case")
    parser.add_argument("--outbreaks", type=int, default=5_000,
                        help="outbreaks at care homes, reported over the filled days "
                        "(default 5000)")
    parser.add_argument("--concerns", type=int, default=400,
                        help="quality concerns raised over the filled days, half of them "
                        "closed later (default 400)")
    parser.add_argument("--overrides", type=int, default=200,
                        help="risk rating overrides over the filled days (default 200)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, nargs="+", metavar="DATE",
                        default=[dt.date.fromisoformat(d) for d in returns_summary.AS_OF],
                        help=f"days to time (default {' '.join(returns_summary.AS_OF)}; days "
                        "outside the filled ones are dropped)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="timed calls per case and day (default 7)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed calls per case and day first (default 2)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database if it exists (filled by an earlier --keep run "
                        "with the same --locations, --days, --start, --outbreaks, --concerns "
                        "and --overrides) instead of filling a new one")
    return returns_summary.settle_start(parser.parse_args(argv))


# --- Worker: outbreaks, concerns, overrides -----------------------------------------------


def plan_outbreaks(rng: random.Random, care_homes: list[int], count: int, first: dt.date,
                   last: dt.date, closure_days: int = 28):
    """(location id, [(day, Counts)]) for each outbreak, in the order they are reported.

    Report days are spread at random over first..last. Each outbreak has 1 to 6 updates (the
    report is the first), a few days apart; the report and about 60% of the later updates
    bring new cases. An update always falls before the outbreak would close, so the service
    accepts it. A care home gets a new outbreak only after its last one closed.
    """
    from caresight.outbreaks.services import Counts

    span = (last - first).days + 1
    report_days = sorted(first + dt.timedelta(days=rng.randrange(span)) for _ in range(count))
    free_from: dict[int, dt.date] = {}  # care home -> the day its last outbreak closes
    plans = []
    for reported_on in report_days:
        for _ in range(1000):
            location_id = rng.choice(care_homes)
            if free_from.get(location_id, first) <= reported_on:
                break
        else:
            raise SystemExit(f"No care home is free of outbreaks on {reported_on}.")
        kind = "suspected" if rng.random() < 0.15 else "confirmed"
        updates = [(reported_on, Counts(kind=kind, new_cases_residents=rng.randint(1, 5),
                                        new_cases_staff=rng.choice((0, 0, 1, 2))))]
        last_case = day = reported_on
        for _ in range(rng.randint(0, 5)):
            day = min(day + dt.timedelta(days=rng.randint(1, 12)),
                      last_case + dt.timedelta(days=closure_days - 1))
            if day <= updates[-1][0] or day > last:
                break
            if rng.random() < 0.6:
                counts = Counts(kind="confirmed", new_cases_residents=rng.randint(0, 4),
                                new_cases_staff=rng.randint(0, 2),
                                deaths=1 if rng.random() < 0.1 else 0)
                if counts.new_cases_residents + counts.new_cases_staff:
                    last_case = day
            else:
                counts = Counts(kind="confirmed" if kind == "confirmed" or rng.random() < 0.5
                                else "suspected")
            kind = counts.kind
            updates.append((day, counts))
        free_from[location_id] = last_case + dt.timedelta(days=closure_days)
        plans.append((location_id, updates))
    return plans


def record_outbreaks(args: argparse.Namespace, connection) -> dict:
    """Outbreaks through the services; small providers; concerns and overrides; ANALYZE."""
    from django.apps import apps
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from caresight.core.tenancy import OPERATOR
    from caresight.outbreaks.models import Outbreak
    from caresight.outbreaks.services import outbreak_report, update_record
    from caresight.registry.models import Location, Provider
    from caresight.risk.models import Concern, Override, Rating
    from caresight.risk.services import concern_close, concern_raise, override_set

    rng = random.Random(args.seed + 4)
    first = args.start
    last = args.start + dt.timedelta(days=args.days - 1)
    care_homes = list(Location.objects.filter(service_type__in=CARE_HOME_TYPES)
                      .order_by("pk").values_list("pk", flat=True))
    plans = plan_outbreaks(rng, care_homes, args.outbreaks, first, last)
    locations = Location.objects.in_bulk([location_id for location_id, _ in plans])
    print(f"Recording {len(plans):,} outbreaks with "
          f"{sum(len(u) for _, u in plans) - len(plans):,} further updates through the "
          "services…", flush=True)
    began = time.perf_counter()
    refused = 0
    batch = 100
    for start in range(0, len(plans), batch):
        with transaction.atomic():  # fewer commits; each service call is its own savepoint
            for location_id, updates in plans[start:start + batch]:
                (reported_on, counts), *later = updates
                try:
                    with transaction.atomic():
                        outbreak = outbreak_report(
                            location=locations[location_id], reported_on=reported_on,
                            reported_by=Outbreak.ReportedBy.PUBLIC_HEALTH, counts=counts,
                            user=OPERATOR)
                        for on, counts in later:
                            update_record(outbreak=outbreak, on=on, counts=counts, user=OPERATOR)
                except ValidationError as exc:  # the plan avoids this; say so if it happens
                    refused += 1
                    if refused <= 5:
                        print(f"Refused, skipped: outbreak at {location_id} reported on "
                              f"{reported_on}: {exc.messages}", flush=True)
        done = min(start + batch, len(plans))
        if done % 500 == 0 or done == len(plans):
            spent = time.perf_counter() - began
            print(f"Recorded {done:,} outbreaks in {spent:.0f} s "
                  f"({done / spent:.0f} a second).", flush=True)
    outbreak_seconds = time.perf_counter() - began

    began = time.perf_counter()
    providers = list(Provider.objects.order_by("pk").values_list("pk", flat=True))
    small = sorted(rng.sample(providers, round(len(providers) * SMALL_SHARE)))
    for start in range(0, len(small), 2_000):
        Provider.objects.filter(pk__in=small[start:start + 2_000]).update(is_small=True)
    every = list(Location.objects.order_by("pk"))
    span = (last - first).days + 1
    sources = [value for value, _ in Concern.Source.choices]
    with transaction.atomic():
        for n in range(args.concerns):
            raised_on = first + dt.timedelta(days=rng.randrange(span))
            concern = concern_raise(location=rng.choice(every), raised_on=raised_on,
                                    source=rng.choice(sources),
                                    summary=f"Bench concern {n + 1}: staffing and care plans",
                                    user=OPERATOR)
            closed_on = raised_on + dt.timedelta(days=rng.randint(7, 90))
            if n % 2 and closed_on <= last:
                concern_close(concern=concern, closed_on=closed_on,
                              closing_note="Resolved after a visit", user=OPERATOR)
        ratings = [Rating.RED, Rating.AMBER, Rating.AMBER, Rating.GREEN]
        for n in range(args.overrides):
            starts_on = first + dt.timedelta(days=rng.randrange(span))
            override_set(location=rng.choice(every), rating=rng.choice(ratings),
                         reason=f"Bench override {n + 1}: known to the team", starts_on=starts_on,
                         expires_on=starts_on + dt.timedelta(days=rng.randint(7, 90)),
                         user=OPERATOR)
    risk_seconds = time.perf_counter() - began
    print(f"Recorded {args.concerns:,} concerns and {args.overrides:,} overrides, marked "
          f"{len(small):,} providers small in {risk_seconds:.0f} s.", flush=True)

    began = time.perf_counter()
    tables = [model._meta.db_table for label in ("outbreaks", "risk", "registry")
              for model in apps.get_app_config(label).get_models()]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
    return {"outbreaks": Outbreak.objects.count(), "refused": refused,
            "outbreak_seconds": outbreak_seconds, "risk_seconds": risk_seconds,
            "small_providers": len(small),
            "concerns": Concern.objects.count(), "overrides": Override.objects.count(),
            "analyze_seconds": time.perf_counter() - began}


def check_recorded(args: argparse.Namespace) -> str | None:
    """None if the outbreaks, concerns and overrides are what this run would record."""
    from caresight.outbreaks.models import Outbreak
    from caresight.risk.models import Concern, Override

    found = (Outbreak.objects.count(), Concern.objects.count(), Override.objects.count())
    wanted = (args.outbreaks, args.concerns, args.overrides)
    # An outbreak the services refused is skipped (none should be).
    if not (0.95 * args.outbreaks <= found[0] <= args.outbreaks) or found[1:] != wanted[1:]:
        return ("it holds {:,} outbreaks, {:,} concerns and {:,} overrides, not {:,}, {:,} and "
                "{:,}").format(*found, *wanted)
    return None


# --- Worker: timing -----------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    from caresight.outbreaks.models import Outbreak, StatusChange, Update
    from caresight.registry.models import Location, Provider
    from caresight.returns.models import Return
    from caresight.risk.models import Concern, Override

    return {
        "locations": Location.objects.count(), "returns": Return.objects.count(),
        "outbreaks": Outbreak.objects.count(), "updates": Update.objects.count(),
        "status changes": StatusChange.objects.count(),
        "status overrides": StatusChange.objects.filter(automatic=False).count(),
        "concerns": Concern.objects.count(),
        "open concerns (end)": Concern.objects.filter(closed_on__isnull=True).count(),
        "risk overrides": Override.objects.count(),
        "small providers": Provider.objects.filter(is_small=True).count(),
    }


def worker(args: argparse.Namespace) -> None:
    _common.setup_django()
    from django.db import connection
    from django.db.models import Count, F

    from caresight.core.tenancy import OPERATOR
    from caresight.outbreaks.models import Outbreak
    from caresight.outbreaks.selectors import tracker
    from caresight.registry.models import Authority, Location
    from caresight.risk.models import InputsVersion, SavedLog, SavedRating
    from caresight.risk.selectors import risk_log
    from caresight.risk.services import risk_log_save, risk_logs_refresh

    recorded = None
    filled = returns_summary.fill_unless_reused(args, connection)
    if not Outbreak.objects.exists():
        recorded = record_outbreaks(args, connection)
    else:
        problem = check_recorded(args)
        if problem:
            raise SystemExit(f"The database cannot be reused: {problem}. Run without --reuse "
                             "to fill it again.")
        print("Reusing the filled database.", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    authority = args.authority or (
        Location.objects.values("authority__ons_code").annotate(n=Count("pk"))
        .order_by("-n", "authority__ons_code").values_list("authority__ons_code", flat=True)
        .first())
    authority_services = Location.objects.filter(authority__ons_code=authority).count()
    days = returns_summary.as_of_days(args)

    def tracker_call(day, code):
        summary, rows = tracker(user=OPERATOR, as_of=day, authority=code)
        return {"rows": len(rows), **{k: summary[k] for k in
                                      ("on_tracker", "live", "de_escalation", "closed", "new")}}

    def risk_call(day, code):
        """What the risk log page reads: the counts and the first page (500 rows)."""
        log = risk_log(user=OPERATOR, as_of=day, authority=code)
        counts, rows = log.counts(), log.rows(limit=PAGE)
        return {"rows": sum(counts.values()), **counts, "shown": len(rows),
                "overridden (shown)": sum(1 for row in rows if row["override_reason"])}

    def every_row_call(day, code):
        """What the API list and the downloads read: every row, in order."""
        rows = risk_log(user=OPERATOR, as_of=day, authority=code).rows()
        return {"rows": len(rows)}

    def refresh_call(day, code):
        """What the background refresh does after the data changed: work out and keep."""
        ids = (None if code is None else
               list(Authority.objects.filter(ons_code=code).values_list("pk", flat=True)))
        return {"logs written": risk_logs_refresh(as_of=day, authority_ids=ids)}

    def all_changed():
        """As after a national import: every authority's data changed since its log was kept."""
        InputsVersion.objects.bulk_create(
            [InputsVersion(authority_id=a) for a in Authority.objects.values_list("pk", flat=True)],
            ignore_conflicts=True)
        InputsVersion.objects.update(version=F("version") + 1)

    def one_changed():
        """As after a return or an outbreak update: one authority's data changed."""
        InputsVersion.objects.update_or_create(
            authority=Authority.objects.get(ons_code=authority),
            defaults={"version": F("version") + 1})

    def save_logs() -> dict:
        """Save every authority's log for each day, as `caresight risk save-log` does."""
        codes = list(Location.objects.order_by().values_list("authority__ons_code", flat=True)
                     .distinct())
        began = time.perf_counter()
        for day in days:
            for found in Authority.objects.filter(ons_code__in=codes):
                risk_log_save(authority=found, as_of=day, user=OPERATOR)
        seconds = time.perf_counter() - began
        print(f"Saved {len(codes)} authorities' logs for {len(days)} days in {seconds:.0f} s.",
              flush=True)
        vacuum_logs()
        return {"authorities": len(codes), "days": len(days), "seconds": seconds}

    def vacuum_logs() -> None:
        """As autovacuum would soon after (this machine's server runs with it off): without it
        the ratings of logs replaced by each refresh above are still read, and the planner
        may still think the table holds none."""
        with connection.cursor() as cursor:
            for model in (SavedLog, SavedRating):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # Logs kept or saved by an earlier run would be read instead: start without any.
    SavedLog.objects.all().delete()
    cases = []
    saved = None
    for what, function, prepare in (
            ("tracker", tracker_call, None),
            # Read before the refresh has run: worked out in memory, nothing written.
            ("risk log, worked out afresh", risk_call, all_changed),
            ("risk log, one authority changed", risk_call, one_changed),
            # The background refresh after a change (a national import; one authority's).
            ("risk logs refresh, every authority changed", refresh_call, all_changed),
            ("risk logs refresh, one authority changed", refresh_call, one_changed),
            ("risk log", risk_call, None),
            ("risk log, every row", every_row_call, None),
            ("saved risk log", risk_call, None)):
        if what == "saved risk log":
            saved = save_logs()
        elif what == "risk log":
            # Each day's refreshes above changed the data again: only the last day's logs are
            # current. Keep every day's, then vacuum the ratings the refreshes replaced.
            for day in days:
                risk_logs_refresh(as_of=day)
            vacuum_logs()
        for scope, code in (("national", None), (f"authority {authority}", authority)):
            for day in days:
                def call(day=day, code=code, function=function):
                    return function(day, code)

                times, _, figures = _common.timed_calls(call, repeat=args.repeat,
                                                        warmup=args.warmup, prepare=prepare)
                if prepare:  # the statements and profile below are of a call like the timed
                    prepare()
                sql = _common.sql_of(call)
                label = f"{what}, {scope}, {day}"
                if args.show_sql:
                    _common.print_sql(label, sql)
                if args.explain and day == days[-1]:
                    _common.explain_slowest(connection, label, sql, args.explain)
                if args.profile and day == days[-1]:
                    if prepare:
                        prepare()
                    _common.profile_call(call, label)
                cases.append({"what": what, "scope": scope, "as_of": day.isoformat(),
                              "times_ms": times, "queries": len(sql),
                              "sql_ms": sum(ms for ms, _ in sql), "figures": figures})
                print(f"{label}: median {statistics.median(times):.0f} ms", flush=True)
    _common.report({
        "database": _common.database_label(args.database_url), "server": server,
        "filled": filled, "recorded": recorded, "counts": row_counts(),
        "authority": authority, "authority_services": authority_services,
        "database_bytes": database_bytes, "repeat": args.repeat, "warmup": args.warmup,
        "cases": cases, "saved": saved, "load_average": os.getloadavg(),
    })


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Outbreak tracker and risk log benchmark")
    worker_args = [*returns_summary.worker_arguments(args), "--outbreaks", str(args.outbreaks),
                   "--concerns", str(args.concerns), "--overrides", str(args.overrides)]
    result = _common.run_on_postgres(Path(__file__).resolve(), args, worker_args)
    if result:
        _print_result(result)


def _print_result(res: dict) -> None:
    print()
    filled, recorded = res["filled"], res["recorded"]
    if filled:
        returns_summary.print_filled(filled)
    if recorded:
        rec = recorded
        print(f"Recorded: {rec['outbreaks']:,} outbreaks through the services "
              f"({rec['refused']:,} refused and skipped) in {rec['outbreak_seconds']:.0f} s "
              f"({rec['outbreaks'] / rec['outbreak_seconds']:.0f} a second); "
              f"{rec['concerns']:,} concerns, {rec['overrides']:,} overrides and "
              f"{rec['small_providers']:,} small providers in {rec['risk_seconds']:.0f} s; "
              f"VACUUM ANALYZE {rec['analyze_seconds']:.0f} s.")
    print(f"PostgreSQL {res['server']}, database {res['database_bytes'] / 1e9:.1f} GB: "
          + ", ".join(f"{n:,} {name}" for name, n in res["counts"].items())
          + f". Authority {res['authority']} has {res['authority_services']:,} services.")
    if res["saved"]:
        saved = res["saved"]
        print(f"Saved the risk logs of {saved['authorities']} authorities for {saved['days']} "
              f"days (`risk_log_save`) in {saved['seconds']:.0f} s "
              f"({saved['seconds'] / saved['days']:.0f} s a day, all of England).")
    print(f"{res['repeat']} timed calls after {res['warmup']} warm-ups of tracker(user=OPERATOR, "
          "as_of=D) and of what the risk log page reads (risk_log(user=OPERATOR, as_of=D): its "
          "counts and first 500 rows), each case and day. \"worked out afresh\": every "
          "authority's data changed before each call (as after a national import), so every "
          "rating is worked out and kept; \"one authority changed\": only the largest "
          "authority's; \"risk log\": the kept logs are current; \"every row\": all the "
          "rows in order (the API list, downloads); \"saved risk log\": the logs saved for "
          "the day:")
    print()
    rows = []
    for c in res["cases"]:
        times, f = c["times_ms"], c["figures"]
        if c["what"] == "tracker":
            found = (f"{f['on_tracker']} on tracker ({f['live']} live, {f['de_escalation']} "
                     f"de-esc.), {f['closed']} closed, {f['new']} new")
        elif "red" in f:
            found = (f"{f['red']} red, {f['amber']} amber, {f['green']} green; "
                     f"{f['shown']} shown, {f['overridden (shown)']} of them overridden")
        elif "logs written" in f:
            found = f"{f['logs written']:,} logs written"
        else:
            found = f"{f['rows']:,} rows read"
        rows.append([c["what"], c["scope"], c["as_of"], f"{statistics.median(times):.0f}",
                     f"{_common.percentile(times, 0.9):.0f}", f"{max(times):.0f}",
                     c["queries"], f"{c['sql_ms']:.0f}", f"{f['rows']:,}" if "rows" in f else "",
                     found])
    _common.print_table(["case", "scope", "as of", "median ms", "p90 ms", "max ms", "queries",
                         "SQL ms", "rows", "what it found"], rows)
    print()
    for key in dict.fromkeys((c["what"], c["scope"]) for c in res["cases"]):
        times = [t for c in res["cases"] if (c["what"], c["scope"]) == key for t in c["times_ms"]]
        if key[0].startswith("risk logs refresh"):
            # The background task after a change, not a page: no page's target applies.
            print(f"{key[0]}, {key[1]} (background, no page target): median "
                  f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms.")
        else:
            print(f"{key[0]}, {key[1]}: {_common.median_verdict(times, TARGET_MS)}.")
    print(f"Load average at the end: {_common.loads(res['load_average'])}.")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
