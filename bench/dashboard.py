"""Benchmark the dashboard (the landing page) over the national data, on PostgreSQL.

Target (issue 15): "Dashboard: under 200 ms median for an authority, under 500 ms for the
national viewer, over the national benchmark data."

The driver creates a fresh PostgreSQL database, runs `caresight migrate`, and starts one
worker process (this script with --worker) with DATABASE_URL set and DEBUG off. The worker:

1. loads the register and returns as bench/returns_summary.py does (its `fill`: 25,000
   generated locations over the 154 current authorities, every fifth a home care service, a
   return a day from every service by COPY, VACUUM ANALYZE) — but for the --days (default 14)
   up to *today*, not a past year. Fourteen days are enough to make today realistic: a
   service's current return is its latest within its window (7 days, RETURN_WINDOW_DAYS), so
   today's figures read the last 7 days and the outbreak trend's weeks before them read the
   rest; a longer history adds rows the dashboard's index probes never reach (each service's
   current return is found by one probe of the (location, -for_date) index, whatever the
   table's length: bench/returns_summary.py and bench/outbreaks_risk.py time the same reads
   over a year). Then --missing-share (default 4%) of the services stop returning for the
   last 8 days, so that "returns missing" is a real count, not 0;
2. records --outbreaks outbreaks (default 2,000) through the services over those days, with
   concerns and overrides, as bench/outbreaks_risk.py does (its `record_outbreaks`);
3. keeps today's risk logs (`risk_logs_refresh`, as the background task does after every
   change), so the dashboard reads the ratings kept in the database;
4. gives Cambridgeshire (the timed authority) an action plan of 500 actions with 5,000
   progress updates, 1,000 risks and --decisions decisions (bench/plans_governance.py's
   `fill`), and an Infection Control Fund round, confirmed, with a payment run prepared;
5. times GET / (the dashboard page, through Django's test client, so the template, tenancy
   and middleware are counted) signed in as an admin of Cambridgeshire (every officer tile),
   as a commissioner of that authority asking for it by `?authority=`, and as a national
   viewer over all 154 authorities (the figures by authority, suppressed, and the chart):
   --warmup untimed requests, then --repeat timed ones each.

Filling takes several minutes: --keep leaves the database in place afterwards and --reuse
uses it again (after `caresight migrate`).

    .venv/bin/python bench/dashboard.py --keep            # fill, time, keep the database
    .venv/bin/python bench/dashboard.py --reuse --keep    # time again on the same data
    .venv/bin/python bench/dashboard.py --reuse --keep --show-sql --explain 3 --profile
    .venv/bin/python bench/dashboard.py --locations 2000 --outbreaks 200   # a quick try
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
import outbreaks_risk  # noqa: E402  (record_outbreaks)
import plans_governance  # noqa: E402  (its fill: a plan, risks and decisions)
import returns_summary  # noqa: E402  (its options and fill)

AUTHORITY_MS, NATIONAL_MS = 200.0, 500.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_dashboard_bench"
AUTHORITY = plans_governance.AUTHORITY  # Cambridgeshire
PASSWORD = "bench-password-not-secret"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the dashboard page (an authority's officers and the national "
        "viewer) over a national register with recent daily returns, outbreaks, kept risk "
        "logs, a plan, risks and a fund round, on PostgreSQL.")
    returns_summary.add_year_of_returns_arguments(parser, default_url=DEFAULT_URL,
                                                  timed="request")
    parser.set_defaults(days=14, start=None)
    parser.add_argument("--missing-share", type=float, default=0.04,
                        help="share of services that stop returning 8 days before today "
                        "(default 0.04)")
    parser.add_argument("--outbreaks", type=int, default=2_000,
                        help="outbreaks at care homes over the filled days (default 2000)")
    parser.add_argument("--concerns", type=int, default=400, help="quality concerns (400)")
    parser.add_argument("--overrides", type=int, default=200, help="rating overrides (200)")
    parser.add_argument("--decisions", type=int, default=2_000,
                        help="Cambridgeshire's decisions (default 2000)")
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed requests per case (default 15)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed requests per case first (default 2)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database if it exists (filled by an earlier --keep run "
                        "with the same options, on the same day) instead of filling a new one")
    args = parser.parse_args(argv)
    if args.start is None:  # the days up to today
        args.start = dt.date.today() - dt.timedelta(days=args.days - 1)
    return args


def worker_arguments(args: argparse.Namespace) -> list[str]:
    skip = {"--as-of", "--repeat", "--warmup"}
    base, chosen = returns_summary.worker_arguments(
        argparse.Namespace(**{**vars(args), "as_of": []})), []
    drop = False
    for item in base:  # returns_summary's options without its --as-of, --repeat, --warmup
        if item.startswith("--"):
            drop = item in skip
        if not drop:
            chosen.append(item)
    return [*chosen, "--missing-share", str(args.missing_share),
            "--outbreaks", str(args.outbreaks), "--concerns", str(args.concerns),
            "--overrides", str(args.overrides), "--decisions", str(args.decisions),
            "--repeat", str(args.repeat), "--warmup", str(args.warmup)]


# --- Worker: the data ---------------------------------------------------------------------


def stop_returning(args: argparse.Namespace, connection) -> int:
    """Delete the last 8 days' returns of a share of the services: they are missing today."""
    import random

    from caresight.registry.models import Location
    from caresight.returns.models import Return

    rng = random.Random(args.seed + 15)
    ids = list(Location.objects.order_by("pk").values_list("pk", flat=True))
    chosen = sorted(rng.sample(ids, round(len(ids) * args.missing_share)))
    last = args.start + dt.timedelta(days=args.days - 1)
    deleted = 0
    for start in range(0, len(chosen), 2_000):
        deleted += Return.objects.filter(location_id__in=chosen[start:start + 2_000],
                                         for_date__gt=last - dt.timedelta(days=8))._raw_delete(
            Return.objects.db)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Return._meta.db_table)}")
    return deleted


def fund_round() -> dict:
    """A confirmed round for the timed authority, with its first payment run prepared."""
    from caresight.core.tenancy import OPERATOR
    from caresight.grants import services
    from caresight.registry.models import Authority

    authority = Authority.objects.get(ons_code=AUTHORITY)
    today = dt.date.today()
    found = services.round_create(
        authority=authority, name="Infection Control Fund round 2", amount="1751000.00",
        eligibility_date=today - dt.timedelta(days=10),
        elements=[{"name": "Care homes", "share": "100", "method": "per_bed",
                   "service_types": ["care_home", "care_home_nursing"]}],
        instalments=[{"share": "50", "due_offset_days": 14,
                      "conditions": [{"kind": "agreement_signed"}]},
                     {"share": "50", "due_offset_days": 60,
                      "conditions": [{"kind": "agreement_signed"}]}],
        spend_categories=[{"code": "other", "label": "Other"}], user=OPERATOR)
    services.allocation_confirm(round=found, user=OPERATOR)
    services.payment_run_create(round=found, instalment=found.instalments.get(number=1),
                                as_of=today, user=OPERATOR)
    return {"round": found.pk, "allocations": found.allocations.count()}


def fill_all(args: argparse.Namespace, connection) -> dict | None:
    from caresight.outbreaks.models import Outbreak
    from caresight.risk.services import risk_logs_refresh

    filled = returns_summary.fill_unless_reused(args, connection)
    if filled is None and Outbreak.objects.exists():
        return None
    began = time.perf_counter()
    filled = filled or {}
    filled["missing_deleted"] = stop_returning(args, connection)
    filled["recorded"] = outbreaks_risk.record_outbreaks(args, connection)
    print(f"Recorded {filled['recorded']['outbreaks']:,} outbreaks.", flush=True)
    plan_args = argparse.Namespace(actions=500, updates=5_000, risks=1_000,
                                   decisions=args.decisions, cases=100, seed=args.seed,
                                   as_of=dt.date(2020, 9, 1))
    filled["plans"] = plans_governance.fill(plan_args)
    filled["fund"] = fund_round()
    refresh_began = time.perf_counter()
    filled["logs_kept"] = risk_logs_refresh(as_of=dt.date.today())
    filled["refresh_seconds"] = time.perf_counter() - refresh_began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    filled["extra_seconds"] = time.perf_counter() - began
    print(f"Kept {filled['logs_kept']} risk logs in {filled['refresh_seconds']:.0f} s.",
          flush=True)
    return filled


# --- Worker: timing -----------------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    _common.setup_django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from caresight.accounts.models import User
    from caresight.accounts.services import user_create
    from caresight.registry.models import Authority, Location
    from caresight.returns.models import Return

    filled = fill_all(args, connection)
    if filled is None:
        print("Reusing the filled database.", flush=True)

    def user(email: str, role: str, codes: list[str]):
        found = User.objects.filter(email=email).first()
        if found is None:
            found, _ = user_create(email=email, role=role, authority_codes=codes,
                                   organisation_name=f"Bench {role}", password=PASSWORD)
        return found

    every = list(Authority.objects.filter(valid_to__isnull=True)
                 .values_list("ons_code", flat=True))
    cases = [
        ("authority: admin of Cambridgeshire", user("admin@bench.example", "admin",
                                                    [AUTHORITY]), "/"),
        ("authority: commissioner, ?authority=", user("commissioner@bench.example",
                                                      "commissioner", [AUTHORITY]),
         f"/?authority={AUTHORITY}"),
        ("national viewer: 154 authorities", user("viewer@bench.example", "viewer", every), "/"),
        ("national viewer: download CSV", user("viewer@bench.example", "viewer", every),
         "/?download=csv"),
    ]
    services = (Location.objects.filter(authority__ons_code=AUTHORITY)
                .aggregate(n=Count("pk"))["n"])
    results = []
    for label, who, path in cases:
        client = Client()
        client.force_login(who)

        def request(client=client, path=path):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}: "
                                 f"{response.content[:300]!r}")
            return response

        times, cpu, response = _common.timed_calls(request, repeat=args.repeat,
                                                   warmup=args.warmup)
        sql = _common.sql_of(request)
        if args.show_sql:
            _common.print_sql(label, sql)
        if args.explain:
            _common.explain_slowest(connection, label, sql, args.explain)
        if args.profile:
            _common.profile_call(request, label, sorts=(("cumulative", 30), ("tottime", 20)),
                                 one="request")
        target = NATIONAL_MS if label.startswith("national") else AUTHORITY_MS
        results.append({"label": label, "path": path, "times_ms": times, "cpu_ms": cpu,
                        "queries": len(sql), "sql_ms": sum(ms for ms, _ in sql),
                        "bytes": len(response.content), "target_ms": target})
        print(f"{label}: median {statistics.median(times):.0f} ms", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    _common.report({
        "database": _common.database_label(args.database_url), "server": server,
        "filled": filled, "returns": Return.objects.count(),
        "locations": Location.objects.count(), "authority": AUTHORITY,
        "authority_services": services, "repeat": args.repeat, "results": results,
        "load_average": os.getloadavg(),
    })


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Dashboard benchmark")
    # The worker's requests go through Django's test client (host "testserver").
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    result = _common.run_on_postgres(Path(__file__).resolve(), args, worker_arguments(args))
    if result:
        _print_result(result)


def _print_result(res: dict) -> None:
    print(f"\n{res['database']} (server {res['server']}): {res['locations']:,} locations, "
          f"{res['returns']:,} returns; {res['authority']} has {res['authority_services']:,} "
          f"services. Load average {_common.loads(res['load_average'])}.")
    if res["filled"]:
        filled = res["filled"]
        print(f"Filled: {filled.get('rows', 0):,} returns, {filled['missing_deleted']:,} "
              f"deleted (services that stopped returning), "
              f"{filled['recorded']['outbreaks']:,} outbreaks, {filled['logs_kept']} risk logs "
              f"kept in {filled['refresh_seconds']:.0f} s, fund round of "
              f"{filled['fund']['allocations']:,} allocations.")
    for item in res["results"]:
        print(f"\n{item['label']} — GET {item['path']}: {item['queries']} queries "
              f"({item['sql_ms']:.0f} ms of SQL), {item['bytes']:,} bytes, CPU median "
              f"{statistics.median(item['cpu_ms']):.0f} ms")
        print("  " + _common.median_verdict(item["times_ms"], item["target_ms"]))


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
