"""Load test: officers at work against gunicorn and PostgreSQL on 127.0.0.1, with locust.

Target (issue 17): "A load test with locust (a test dependency), against gunicorn + PostgreSQL
on 127.0.0.1, bounded in time and users: 50 concurrent officers over a realistic mix
(register, summaries, tracker, risk log, grants pages, a return submitted every few seconds,
one import running) for 5 minutes: p95 and p99 per page printed, no errors."

The driver:

1. creates a fresh PostgreSQL database (load_bench) and runs `caresight migrate`;
2. runs this script's worker on it (DATABASE_URL set, DEBUG off), which loads the demo area
   (`caresight demo`: Cambridgeshire and Peterborough, 240 services, 8 weeks of returns,
   outbreaks, two fund rounds, plans, beds), then the rest of England: a register of
   --locations generated CQC locations (`_common.load_register`, every fifth a home care
   service) and --days days of their returns up to yesterday through the Capacity Tracker
   import. It makes the officers' accounts (council officers of both councils, in a mix of
   roles, all with one password) and writes the files the importer uploads: Capacity Tracker
   care home exports of the demo's care homes, one for each of the --import-files days before
   today;
3. collects the static files into a temporary folder (whitenoise serves them), starts
   `gunicorn config.wsgi` with --workers on a free port of 127.0.0.1 and one
   `caresight db_worker`, both with config.settings.local and DEBUG off. The sign-in and
   upload rate limits are raised for them (RATE_LIMIT_SIGN_IN, RATE_LIMIT_UPLOAD): every
   officer signs in from 127.0.0.1, which the limit per client address (20 a minute) would
   otherwise refuse, as it would one importer's uploads past 30 an hour;
4. runs locust headless with bench/locustfile.py: --users users (one importer, about one in
   ten of the rest submitting returns, the others reading pages), started --spawn-rate a
   second, for --minutes;
5. prints, per page, the requests, failures, median, p95, p99 and the slowest; then checks that
   every return the submitters were told was saved is in its history, once (they start none
   in the last 45 s, so that none is in flight when locust stops them), and that neither
   gunicorn nor the worker logged an error. It stops gunicorn and the worker and drops the
   database (unless --keep), and exits 1 if any request failed or anything above is wrong.

    .venv/bin/python bench/load.py                         # 50 officers, 5 minutes (~10 min)
    .venv/bin/python bench/load.py --users 10 --minutes 1 --locations 2000   # a quick try
"""

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import returns_import  # noqa: E402  (Services: Capacity Tracker exports of generated answers)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/load_bench"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PASSWORD = "load-bench-password-not-secret"
ACCOUNT_DOMAIN = "load.caresight.test"
# The reading officers' roles, in turn: more quality officers and commissioners than others.
BROWSE_ROLES = ("quality_officer", "commissioner", "public_health", "quality_officer",
                "finance", "commissioner", "brokerage", "admin")
RAISED_LIMITS = {"RATE_LIMIT_SIGN_IN": "100000/m", "RATE_LIMIT_UPLOAD": "100000/h"}
STARTUP_SECONDS = 90
# The submitters start no return in the run's last seconds: one in flight when locust stops
# its users would be saved but not counted, and the check of the saved returns would fail.
SUBMIT_QUIET = 45


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load test: --users officers (one importing Capacity Tracker files, some "
        "submitting returns, the rest reading the register, summaries, tracker, risk log, "
        "grants and dashboard) for --minutes against gunicorn and one background worker on "
        "a fresh PostgreSQL database with the demo area and a national register, on "
        "127.0.0.1; prints p95 and p99 per page and exits 1 if any request failed.")
    parser.add_argument("--users", type=int, default=50,
                        help="concurrent officers (default 50)")
    parser.add_argument("--minutes", type=float, default=5,
                        help="how long locust runs, the users' start included (default 5)")
    parser.add_argument("--spawn-rate", type=float, default=10,
                        help="users started a second (default 10)")
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn worker processes (default 4)")
    parser.add_argument("--port", type=int, default=0,
                        help="gunicorn's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--locations", type=int, default=25_000,
                        help="generated locations over England besides the demo area (default "
                        "25000; 0 for the demo area only)")
    parser.add_argument("--days", type=int, default=7,
                        help="days of returns for those locations, up to yesterday, through "
                        "the Capacity Tracker import (default 7)")
    parser.add_argument("--import-files", type=int, default=20,
                        help="care home exports for the importer, one per day before today "
                        "(default 20; used in turn)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the database in place afterwards")
    _common.add_sample_arguments(parser)
    _common.add_database_arguments(parser, default_url=DEFAULT_URL, sqlite=None)
    _common.add_worker_arguments(parser)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.users < 2:
        parser.error("--users must be at least 2 (one importer and one other officer).")
    if args.minutes <= 0:
        parser.error("--minutes must be more than 0.")
    return args


# --- Worker: the data -------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    _common.setup_django()
    from django.db.models import Max

    from caresight.demo.demo import demo_load
    from caresight.registry.models import Location
    from caresight.returns.models import Return

    began = time.perf_counter()
    print(demo_load().message(), flush=True)
    demo_last_pk = Location.objects.aggregate(last=Max("pk"))["last"]
    loaded: dict = {"demo_seconds": time.perf_counter() - began}
    if args.locations:
        print(f"Loading a register of {args.locations:,} generated locations…", flush=True)
        loaded["register"] = national_register(args, demo_last_pk)
        loaded["national_returns"] = national_returns(args, demo_last_pk)
    loaded["accounts"] = make_accounts(args, args.out_dir / "accounts.json")
    loaded["import_files"] = write_import_files(args, demo_last_pk, args.out_dir)
    loaded["locations"] = Location.objects.count()
    loaded["returns"] = Return.objects.count()
    _common.report(loaded)


def _service_rows(queryset) -> list[tuple]:
    """The rows returns_import.Services takes: (pk, CQC ID, type, beds, name, authority,
    region), of the services that make returns."""
    rows = queryset.order_by("pk").values_list(
        "pk", "cqc_location_id", "service_type", "registered_beds", "name", "authority__name",
        "authority__region__name")
    return [row for row in rows if row[2] in _common.GROUP_OF_TYPE]


def national_register(args: argparse.Namespace, demo_last_pk: int) -> dict:
    """--locations generated CQC locations, every fifth made a home care service (as
    `_common.load_register` does, but among the generated ones only: the demo's stay as they
    are)."""
    from caresight.registry.models import Location

    register = _common.load_register(args.locations, seed=args.seed, sample=args.sample,
                                     community_every=0)
    pks = list(Location.objects.filter(pk__gt=demo_last_pk).order_by("pk")
               .values_list("pk", flat=True))[4::5]
    for start in range(0, len(pks), 2_000):
        register["community"] += Location.objects.filter(pk__in=pks[start:start + 2_000]).update(
            service_type="domiciliary", registered_beds=None)
    return register


def national_returns(args: argparse.Namespace, demo_last_pk: int) -> dict:
    """--days days of returns of the generated locations, up to yesterday, imported as the
    Capacity Tracker exports (a care home file and a community file a day)."""
    from caresight.core.imports import run_import
    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Location

    services = returns_import.Services(
        _service_rows(Location.objects.filter(pk__gt=demo_last_pk)), seed=args.seed)
    today = dt.date.today()
    began, rows = time.perf_counter(), 0
    for n in range(args.days, 0, -1):
        day = today - dt.timedelta(days=n)
        for group, day_rows in services.next_day().items():
            result = run_import("returns", data=services.csv(group, day, day_rows),
                                file_name=f"national-{group}-{day}.csv", user=OPERATOR,
                                dry_run=False)
            if not result.ok:
                raise SystemExit(f"The national {group} returns of {day} were refused: "
                                 f"{result.summary()} {[str(e) for e in result.errors[:5]]}")
            rows += result.rows
        print(f"Imported the national returns of {day} ({time.perf_counter() - began:.0f} s "
              "so far).", flush=True)
    return {"rows": rows, "seconds": time.perf_counter() - began}


def make_accounts(args: argparse.Namespace, path: Path) -> dict[str, int]:
    """The officers' accounts (as accounts.json for the locustfile): one reading officer per
    user, one submitting officer per five users, one importer; all of both demo councils."""
    from django.contrib.auth.hashers import make_password

    from caresight.accounts.models import User
    from caresight.accounts.services import user_create
    from caresight.demo.demo import COUNCILS, COUNCILS_ORGANISATION

    wanted = [("browse", BROWSE_ROLES[i % len(BROWSE_ROLES)], i) for i in range(args.users)]
    wanted += [("submit", "quality_officer", i) for i in range(max(args.users // 5, 1))]
    wanted.append(("import", "commissioner", 0))
    accounts = []
    for group, role, n in wanted:
        email = f"{group}-{n + 1:02d}@{ACCOUNT_DOMAIN}"
        user_create(email=email, role=role, authority_codes=COUNCILS,
                    organisation_name=COUNCILS_ORGANISATION, full_name=f"Load {group} {n + 1}")
        accounts.append({"email": email, "role": role, "group": group})
    # One hash for every account (a password is not kept in the users' history): hashing each
    # would add a second or so per account to the setup.
    User.objects.filter(email__endswith="@" + ACCOUNT_DOMAIN).update(
        password=make_password(PASSWORD))
    path.write_text(json.dumps(accounts, indent=1), "utf-8")
    return {group: sum(1 for a in accounts if a["group"] == group)
            for group in ("browse", "submit", "import")}


def write_import_files(args: argparse.Namespace, demo_last_pk: int, folder: Path) -> dict:
    """Capacity Tracker care home exports of the demo's care homes, one for each of the
    --import-files days before today (import-files.json lists them for the locustfile).

    A home's row for a day answers as its latest return on or before that day does, with other
    hours of overtime, so that the file is true to what is recorded (the import checks the
    tracker's answers with the day's other answers) and every row changes something.
    """
    import random

    from caresight.demo.demo import COUNCILS
    from caresight.registry.models import CARE_HOME_TYPES, Location, RegistrationStatus
    from caresight.returns.models import Return

    homes = _service_rows(Location.objects.filter(
        pk__lte=demo_last_pk, authority__ons_code__in=COUNCILS,
        service_type__in=CARE_HOME_TYPES, registration_status=RegistrationStatus.REGISTERED))
    returns: dict[int, list[tuple[dt.date, dict]]] = {}
    for location_id, for_date, values in Return.objects.filter(
            location_id__in=[row[0] for row in homes]).order_by("for_date").values_list(
            "location_id", "for_date", "values"):
        returns.setdefault(location_id, []).append((for_date, values))
    columns = [code for _, code in returns_import.IMPORTED["care_home"]]
    services = returns_import.Services(homes, seed=args.seed)
    rng = random.Random(args.seed + 17)
    today = dt.date.today()
    paths, rows = [], 0
    for n in range(1, args.import_files + 1):
        day = today - dt.timedelta(days=n)
        day_rows = []
        for row in homes:
            known = [values for for_date, values in returns.get(row[0], []) if for_date <= day]
            if not known:
                continue  # nothing returned yet: not in the tracker's export either
            answers = {code: known[-1][code] for code in columns if code in known[-1]}
            paid = int(float(answers.get("hours_paid", "0")))
            answers["hours_overtime"] = str(rng.randint(0, min(paid, 60)))
            day_rows.append((row, answers))
        path = folder / f"capacity-tracker-care-homes-{day}.csv"
        path.write_bytes(services.csv("care_home", day, day_rows))
        paths.append(str(path))
        rows += len(day_rows)
    (folder / "import-files.json").write_text(json.dumps(paths), "utf-8")
    return {"files": len(paths), "rows": rows}


# --- Driver: the servers and locust -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def background(command: list[str], *, env: dict, log: Path, label: str):
    """Run `command` in its own process group, output to `log`; stop it (and its children)
    afterwards: SIGTERM, then SIGKILL if it is still there 20 s later."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=_common.ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print(f"{label} did not stop in 20 s; killing it.", flush=True)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> float:
    """Seconds until `url` answers 200; SystemExit if gunicorn stops or takes too long."""
    began = time.perf_counter()
    while time.perf_counter() - began < STARTUP_SECONDS:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {proc.returncode}):\n"
                             + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (127.0.0.1)
                if response.status == 200:
                    return time.perf_counter() - began
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url} within {STARTUP_SECONDS} s.")


def run_locust(args: argparse.Namespace, host: str, folder: Path, env: dict) -> int:
    """Run the locustfile headless; its exit code. Its statistics go to folder/locust_*.csv."""
    seconds = round(args.minutes * 60)
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{seconds}s",
        "--host", host, "--only-summary", "--csv", str(folder / "locust"),
        "--stop-timeout", "30", "--loglevel", "WARNING",
    ]
    log = folder / "locust.log"
    print(f"Running locust: {args.users} users for {args.minutes:g} minutes…", flush=True)
    with log.open("wb") as out:
        try:
            proc = subprocess.run(command, cwd=_common.ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=seconds + 180)
        except subprocess.TimeoutExpired:
            print("locust did not stop in time.", flush=True)
            return 124
    if proc.returncode not in (0, 1):  # 1: some request failed, which the table shows
        print(log.read_text(errors="replace")[-4000:])
    return proc.returncode


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def log_errors(log: Path) -> list[str]:
    """The lines of a server's log that report an error (a traceback, an ERROR or CRITICAL
    record such as gunicorn's worker timeout)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if "Traceback" in line or "ERROR" in line
            or "CRITICAL" in line or "Internal Server Error" in line]


def submitted_returns(url: str, since: dt.datetime) -> tuple[int, int]:
    """Returns saved by the submitting officers since `since`: their history records, and the
    distinct (return, version) pairs among them (fewer if a version was written twice)."""
    import psycopg

    params = _common._pg_params(url)
    with psycopg.connect(**params) as conn:
        return conn.execute(
            "SELECT count(*), count(DISTINCT (h.id, h.version)) FROM returns_historicalreturn h "
            "JOIN accounts_user u ON u.id = h.history_user_id "
            "WHERE u.email LIKE %s AND h.history_date >= %s",
            [f"submit-%@{ACCOUNT_DOMAIN}", since]).fetchone()


def driver(args: argparse.Namespace) -> None:
    _common.banner("Load test")
    problem = _common.postgres_reachable(args.postgres_url)
    if problem:
        raise SystemExit(f"This load test needs PostgreSQL, and {args.postgres_url} is "
                         f"unreachable: {problem}")
    folder = Path(tempfile.mkdtemp(prefix="caresight-load-"))
    try:
        with _common.postgres_database(args.postgres_url, keep=args.keep) as url:
            ok = _run(args, url, folder)
            if args.keep:
                print(f"Kept {url}.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        raise SystemExit(1)


def _run(args: argparse.Namespace, url: str, folder: Path) -> bool:
    print("PostgreSQL: migrating a fresh database…", flush=True)
    print(f"Migrated in {_common.migrate(url):.0f} s; loading the data…", flush=True)
    loaded = _common.run_worker(Path(__file__), [
        "--out-dir", str(folder), "--users", str(args.users), "--locations",
        str(args.locations), "--days", str(args.days), "--import-files",
        str(args.import_files), "--seed", str(args.seed), "--sample", str(args.sample)], url)
    env = _common.django_env(url, STATIC_ROOT=str(folder / "static"),
                             EMAIL_FILE_PATH=str(folder / "sent-email"), **RAISED_LIMITS)
    subprocess.run([*_common.caresight_command(), "collectstatic", "--no-input", "-v0"],
                   cwd=_common.ROOT, env=env, check=True)
    port = args.port or free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn_log, worker_log = folder / "gunicorn.log", folder / "db_worker.log"
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi",
                "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                "--timeout", "120", "--graceful-timeout", "10"]
    with ExitStack() as stack:
        web = stack.enter_context(background(gunicorn, env=env, log=gunicorn_log,
                                             label="gunicorn"))
        stack.enter_context(background(
            [*_common.caresight_command(), "db_worker", "--no-reload"], env=env,
            log=worker_log, label="the worker"))
        ready = wait_until_serving(host + "/accounts/sign-in/", web, gunicorn_log)
        print(f"gunicorn ({args.workers} workers) answering on {host} after {ready:.1f} s; "
              "the worker started.", flush=True)
        since = dt.datetime.now(dt.UTC)
        load_before = os.getloadavg()
        locust_env = dict(env, LOAD_ACCOUNTS=str(folder / "accounts.json"),
                          LOAD_PASSWORD=PASSWORD,
                          LOAD_IMPORT_FILES=str(folder / "import-files.json"),
                          LOAD_SUBMIT_UNTIL=str(time.time() + args.minutes * 60 - SUBMIT_QUIET))
        code = run_locust(args, host, folder, locust_env)
        load_after = os.getloadavg()
    return _report(args, loaded, folder, code, submitted_returns(url, since),
                   load_before, load_after, [gunicorn_log, worker_log])


def _ms(row: dict, key: str) -> str:
    value = row.get(key) or "0"
    return f"{float(value):,.0f}" if value not in ("N/A", "") else "–"


def _report(args, loaded, folder, code, saved, load_before, load_after, logs) -> bool:
    register = loaded.get("register", {})
    national = loaded.get("national_returns", {})
    accounts = loaded["accounts"]
    print(f"\nLoaded: the demo area in {loaded['demo_seconds']:.0f} s"
          + (f", {register.get('locations', 0):,} locations on the register after "
             f"{args.locations:,} generated ({register.get('seconds', 0):.0f} s), "
             f"{national.get('rows', 0):,} national returns over {args.days} days "
             f"({national.get('seconds', 0):.0f} s)" if args.locations else "")
          + f"; {loaded['returns']:,} returns in all. Accounts: {accounts['browse']} reading, "
          f"{accounts['submit']} submitting, {accounts['import']} importing; "
          f"{loaded['import_files']['files']} import files of the demo's care homes "
          f"({loaded['import_files']['rows']:,} rows).")
    stats = read_csv(folder / "locust_stats.csv")
    rows, total, submits = [], None, 0
    for row in stats:
        if row["Name"] == "Aggregated":
            total = row
            continue
        if row["Name"] == "returns: submit":
            submits = int(row["Request Count"]) - int(row["Failure Count"])
        rows.append([row["Name"], f"{int(row['Request Count']):,}", row["Failure Count"],
                     _ms(row, "50%"), _ms(row, "95%"), _ms(row, "99%"),
                     _ms(row, "Max Response Time")])
    if total:
        rows.append(["all requests", f"{int(total['Request Count']):,}", total["Failure Count"],
                     _ms(total, "50%"), _ms(total, "95%"), _ms(total, "99%"),
                     _ms(total, "Max Response Time")])
    print(f"\n{args.users} users for {args.minutes:g} minutes, {args.workers} gunicorn workers, "
          f"1 background worker (times in ms; load average {_common.loads(load_before)} "
          f"before, {_common.loads(load_after)} after):\n")
    _common.print_table(["page", "requests", "failures", "median", "p95", "p99", "max"], rows)
    if total:
        print(f"\n{float(total['Requests/s']):.1f} requests a second.")
    ok = bool(total) and code == 0
    failures = read_csv(folder / "locust_failures.csv")
    exceptions = read_csv(folder / "locust_exceptions.csv")
    for row in failures:
        print(f"FAILED {row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error']}")
    for row in exceptions:
        print(f"ERROR {row['Count']}× in a locust user: {row['Message']}\n{row['Traceback']}")
    ok = ok and not failures and not exceptions
    records, versions = saved
    print(f"Returns saved by the submitting officers: {records:,} in their history "
          f"({versions:,} distinct versions); {submits:,} submissions answered as saved.")
    if not records == versions == submits:
        print("MISMATCH: every submission answered as saved should be in the history once.")
        ok = False
    for log in logs:
        errors = log_errors(log)
        if errors:
            ok = False
            print(f"{len(errors)} error lines in {log.name}, the first:\n  "
                  + "\n  ".join(errors[:20]))
    if not total:
        print(f"No statistics from locust (exit {code}):\n"
              + (folder / "locust.log").read_text(errors="replace")[-4000:])
    print("\nResult: " + ("PASS, no request failed." if ok else "FAIL (see above)."))
    return ok


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
