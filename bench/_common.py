"""Shared by the benchmarks: test data, throwaway databases and worker processes.

The benchmark scripts run as a *driver* that prepares a fresh database and then starts a
*worker* process (the same script with --worker) per database, with DATABASE_URL set before
Django is imported. The worker prints its figures as one JSON line, tagged RESULT_TAG.
"""

import argparse
import csv
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path("/work/shared/data/cqc/cqc-api-locations-care-homes-south-west-2021-02.jsonl")
AUTHORITIES_CSV = ROOT / "caresight" / "registry" / "data" / "authorities.csv"
MEASURE_SETS_JSON = ROOT / "caresight" / "returns" / "data" / "measure_sets.json"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/caresight_bench"
RESULT_TAG = "BENCH-RESULT "


# --- Command line -------------------------------------------------------------------------


def add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    """--seed and --sample: the test data generate_locations makes."""
    parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    parser.add_argument("--sample", type=Path, default=SAMPLE,
                        help="real CQC API locations (JSON lines) to clone (default %(default)s)")


def add_database_arguments(parser: argparse.ArgumentParser, *,
                           default_url: str = DEFAULT_POSTGRES_URL,
                           sqlite: str | None = "--no-sqlite") -> None:
    """--postgres-url; unless `sqlite` is None (PostgreSQL only), --no-postgres and then
    `sqlite`: "--no-sqlite" (SQLite by default) or "--sqlite" (SQLite only when asked)."""
    parser.add_argument("--postgres-url", default=default_url,
                        help="PostgreSQL database to create, use and drop; its name must "
                        "contain 'bench' (default %(default)s)")
    if sqlite is None:
        return
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    if sqlite == "--no-sqlite":
        parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    else:
        parser.add_argument("--sqlite", action="store_true", help="also benchmark SQLite")


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """The hidden options the driver starts a worker with."""
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)


# --- Test data ----------------------------------------------------------------------------


def current_authority_names() -> list[str]:
    """Names of the authorities that exist today (rows of authorities.csv with no valid_to)."""
    with AUTHORITIES_CSV.open(newline="", encoding="utf-8") as f:
        return [row["name"] for row in csv.DictReader(f) if not (row["valid_to"] or "").strip()]


def generate_locations(
    rows: int, *, providers: int = 12_000, seed: int = 2021, sample: Path = SAMPLE
) -> bytes:
    """CQC API location objects as JSON lines: clones of the real sample, spread over England.

    Clone i copies sample record i mod 728 and gets location ID 1-9000000000 + i. The first
    `providers` clones each start a new provider (1-8000000000 + n); the rest belong to a
    provider picked at random, so there are min(rows, providers) distinct providers. Each clone
    is placed in an authority picked at random from those that exist today.
    """
    base = [json.loads(line) for line in sample.read_text("utf-8").splitlines() if line.strip()]
    names = current_authority_names()
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        obj = dict(base[i % len(base)])
        provider = i if i < providers else rng.randrange(providers)
        obj["locationId"] = f"1-9{i:09d}"
        obj["providerId"] = f"1-8{provider:09d}"
        obj["localAuthority"] = rng.choice(names)
        lines.append(json.dumps(obj, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8")


def load_register(
    locations: int, *, providers: int = 12_000, seed: int = 2021, sample: Path = SAMPLE,
    community_every: int = 5,
) -> dict:
    """In a worker (Django set up): load a register of generated locations, some not care homes.

    Imports `locations` clones (generate_locations) with run_import("cqc"), as
    bench/import_cqc.py does, then turns every `community_every`-th location (by primary key)
    into a home care service (service_type "domiciliary", no registered beds) with
    queryset updates (2,000 at a time): the CQC sample has care homes only. Returns the seconds
    and the counts.
    """
    from caresight.registry.models import Location

    data = generate_locations(locations, providers=providers, seed=seed, sample=sample)
    began = time.perf_counter()
    import_register(data, "bench-locations.jsonl")
    del data
    community = 0
    if community_every:
        pks = list(Location.objects.order_by("pk").values_list("pk", flat=True))
        chosen = pks[community_every - 1::community_every]
        for start in range(0, len(chosen), 2_000):
            community += Location.objects.filter(pk__in=chosen[start:start + 2_000]).update(
                service_type="domiciliary", registered_beds=None)
    return {"seconds": time.perf_counter() - began, "locations": Location.objects.count(),
            "community": community}


def import_register(data: bytes, file_name: str) -> None:
    """In a worker: import CQC API locations with run_import("cqc"); stop if it fails."""
    from caresight.core.imports import run_import
    from caresight.core.tenancy import OPERATOR

    result = run_import("cqc", data=data, file_name=file_name, user=OPERATOR, dry_run=False)
    if not result.ok:
        raise SystemExit(f"Loading the register failed: {result.summary()} "
                         f"{[str(e) for e in result.errors[:5]]}")


# The service group (of measure sets) of each service type that sends returns, and the
# service type of each group's example service.
GROUP_OF_TYPE = {"care_home": "care_home", "care_home_nursing": "care_home",
                 "domiciliary": "community", "extra_care": "community",
                 "supported_living": "community"}
TYPE_OF_GROUP = {"care_home": "care_home", "community": "domiciliary"}


def measure_set_definitions(path: Path = MEASURE_SETS_JSON) -> dict[str, dict]:
    """The newest version of each service group's measure set in the shipped definitions."""
    newest: dict[str, dict] = {}
    for item in json.loads(path.read_text("utf-8"))["measure_sets"]:
        group = item["service_group"]
        if group not in newest or item["version"] > newest[group]["version"]:
            newest[group] = item
    return newest


def _half_hours(rng: random.Random, low: float, high: float) -> str:
    """A decimal answer as the import stores it (the text of a Decimal): "1234" or "1234.5"."""
    halves = rng.randint(int(low * 2), int(high * 2))
    return str(halves // 2) + (".5" if halves % 2 else "")


class ServiceAnswers:
    """One service's answers to its measure set, day after day: plausible, within the set's
    bounds and rules, each day a little different from the day before.

    Answers are in the form Return.values keeps them: whole numbers as int, yes/no as bool,
    choices as their value, decimals as text. `size` is the registered beds of a care home
    or the people a community service supports (picked at random if None). Every measure of
    the definition is answered; a measure this class does not know gets a plain answer of
    its kind. The same rng seed gives the same answers, so a benchmark can make them again.
    """

    # Whole-number answers that move from day to day; the rest (beds, staff) stay put.
    DRIFTING = ("beds_occupied", "residents_covid_confirmed", "residents_covid_suspected",
                "people_supported", "people_covid_confirmed", "people_covid_suspected",
                "care_workers_absent", "agency_nurses", "agency_care_workers",
                "agency_non_care_staff")

    def __init__(self, definition: dict, *, size: int | None, rng: random.Random):
        self.rng = rng
        self.care_home = definition["service_group"] == "care_home"
        self.rules = [(r["code"], r["at_most"]) for r in definition.get("rules", [])]
        if size is None or size <= 0:
            size = rng.randint(8, 60) if self.care_home else rng.randint(10, 250)
        self.values: dict[str, object] = {}
        for measure in definition["measures"]:
            value = self._first(measure, size)
            if value is not None:
                self.values[measure["code"]] = value
        self.drifting = [code for code, value in self.values.items()
                         if type(value) is int and (code in self.DRIFTING or "_absent" in code
                                                    or code.startswith("ppe_days_"))]
        self._settle()

    def _first(self, measure: dict, size: int) -> object:
        rng, code, kind, v = self.rng, measure["code"], measure["kind"], self.values
        if kind == "yes_no":
            if code == "ppe_cqc_issues":
                return rng.random() < 0.05
            return rng.random() < (0.85 if code == "admissions_open" else 0.9)
        if kind == "choice":
            values = [value for value, _ in measure["choices"]]
            return rng.choices(values, weights=[8, 4, 2, 1, 1, 1, 1, 1][:len(values)])[0]
        if kind == "decimal":
            if code == "hours_paid":
                return _half_hours(rng, size * 20, size * 35)
            return _half_hours(rng, 0, size * 2)
        if kind != "whole_number":
            return None  # dates: left unanswered
        specific = {
            "beds_registered": lambda: size,
            "beds_occupied": lambda: round(size * rng.uniform(0.7, 0.98)),
            "beds_vacant": lambda: v.get("beds_registered", size) - v.get("beds_occupied", 0),
            "beds_vacant_accepting": lambda: rng.randint(0, max(size // 10, 1)),
            "nurses_employed": lambda: round(size * rng.uniform(0, 0.3)),
            "care_workers_employed": lambda: 1 + round(size * (rng.uniform(0.8, 1.4)
                                                                if self.care_home
                                                                else rng.uniform(0.3, 0.8))),
            "non_care_staff_employed": lambda: round(size * rng.uniform(0.2, 0.5)),
            "people_supported": lambda: size,
            "people_supported_council": lambda: round(size * rng.uniform(0.3, 0.8)),
            "people_supported_self_funded": lambda: rng.randint(
                0, max(size - v.get("people_supported_council", 0), 0)),
        }
        if code in specific:
            return specific[code]()
        if code.startswith("ppe_days_"):
            return rng.randint(7, 90)
        if code.endswith("_vaccinated"):
            return round(size * rng.uniform(0.3, 0.9))
        if "_absent" in code or "_covid_" in code or code.startswith("agency_"):
            return rng.choice((0, 0, 0, 1, 1, 2, 3))
        low = int(float(measure.get("minimum") or 0))
        return max(low, rng.randint(0, 5))

    def _settle(self) -> None:
        """Bring the answers within the rules (and the sums the rules do not state)."""
        v = self.values
        if "beds_registered" in v and "beds_occupied" in v:
            v["beds_occupied"] = min(v["beds_occupied"], v["beds_registered"])
            if "beds_vacant" in v:
                v["beds_vacant"] = v["beds_registered"] - v["beds_occupied"]
        if {"people_supported", "people_supported_council", "people_supported_self_funded"} <= \
                v.keys():
            v["people_supported_council"] = min(v["people_supported_council"],
                                                v["people_supported"])
            v["people_supported_self_funded"] = min(
                v["people_supported_self_funded"],
                v["people_supported"] - v["people_supported_council"])
        changed = True
        while changed:
            changed = False
            for code, at_most in self.rules:
                low, high = v.get(code), v.get(at_most)
                if type(low) is int and type(high) is int and low > high:
                    v[code] = high
                    changed = True

    def next_day(self) -> dict:
        """The next day's answers: a few numbers up or down by one, now and then."""
        rng, v = self.rng, self.values
        for code in self.drifting:
            if rng.random() < 0.25:
                value = v[code] + (1 if rng.random() < 0.5 else -1)
                v[code] = value if value >= 0 else 0
        if "admissions_open" in v and rng.random() < 0.01:
            v["admissions_open"] = not v["admissions_open"]
        self._settle()
        return dict(v)


# --- Databases ----------------------------------------------------------------------------


NATIONAL_FILE_LIMITS = ("CARESIGHT_MAX_IMPORT_BYTES", "CARESIGHT_IMPORT_MAX_UNCOMPRESSED_BYTES")


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a process that works on `database_url`, with DEBUG off."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",  # DEBUG would keep every SQL statement in memory
        # National files (30,000 CQC API objects are 121 MB of JSON lines) are larger than an
        # upload may be: an operator importing one raises the import limits, as here.
        **{name: env.get(name, str(512 << 20)) for name in NATIONAL_FILE_LIMITS},
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        **extra,
    })
    return env


def caresight_command() -> list[str]:
    script = Path(sys.executable).parent / "caresight"
    return [str(script)] if script.exists() else [sys.executable, "-m", "caresight.cli"]


def migrate(database_url: str) -> float:
    """Run `caresight migrate` on the database; return the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [*caresight_command(), "migrate", "--verbosity", "0", "--no-input"],
        cwd=ROOT, env=django_env(database_url), check=True,
    )
    return time.perf_counter() - started


@contextmanager
def sqlite_database():
    """A fresh SQLite file in a temporary directory, removed afterwards. Yields its URL."""
    folder = tempfile.mkdtemp(prefix="caresight-bench-")
    try:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pg_params(url: str) -> dict:
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))


def postgres_reachable(url: str) -> str | None:
    """None if the server of `url` accepts connections, else why not."""
    import psycopg

    params = dict(_pg_params(url), dbname="postgres", connect_timeout=3)
    try:
        psycopg.connect(**params).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def postgres_database_exists(url: str) -> bool:
    """Whether the server of `url` has the database it names."""
    import psycopg

    params = _pg_params(url)
    with psycopg.connect(**dict(params, dbname="postgres")) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             [params.get("dbname") or ""]).fetchone()
    return found is not None


@contextmanager
def postgres_database(url: str, *, reuse: bool = False, keep: bool = False):
    """Create the database named in `url` (dropping an old one first), drop it afterwards.

    With `reuse`, a database of that name that exists already is used as it is; with `keep`,
    the database is left in place afterwards (for a later run with reuse).
    """
    import psycopg
    from psycopg import sql

    params = _pg_params(url)
    name = params.get("dbname") or ""
    if "bench" not in name:
        raise SystemExit(f"Refusing to create and drop {name!r}: its name must contain 'bench'.")
    admin = dict(params, dbname="postgres", autocommit=True)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    if not (reuse and postgres_database_exists(url)):
        with psycopg.connect(**admin) as conn:
            conn.execute(drop)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        if not keep:
            with psycopg.connect(**admin) as conn:
                conn.execute(drop)


# --- Workers ------------------------------------------------------------------------------


def run_worker(script: Path, args: list[str], database_url: str, **env: str) -> dict:
    """Run `script --worker ARGS` with DATABASE_URL set; return the result it printed.

    The worker's other output is passed on as it comes, so a long run shows its progress.
    """
    proc = subprocess.Popen(
        [sys.executable, str(script), "--worker", "--database-url", database_url, *args],
        cwd=ROOT, env=django_env(database_url, **env), stdout=subprocess.PIPE, text=True,
    )
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
        else:
            print(line, end="", flush=True)
    proc.wait()
    if proc.returncode or result is None:
        raise SystemExit(f"The worker for {database_url} failed (exit {proc.returncode}).")
    return result


def report(result: dict) -> None:
    """Print a worker's result for the driver to read."""
    print(RESULT_TAG + json.dumps(result), flush=True)


def setup_django() -> None:
    """Set up Django in a worker: DATABASE_URL and settings were given by the driver."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def code_version() -> str:
    """The commit the code under test is at, with "+changes" if the work tree differs."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "caresight", "config"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def banner(title: str) -> None:
    """Say what was measured where: the code's commit, the machine and the date."""
    import platform

    print(f"{title}: code {code_version()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}", flush=True)


def database_label(url: str) -> str:
    return "PostgreSQL" if url.startswith(("postgres", "pgsql")) else "SQLite"


class ProgressMarks:
    """A progress reporter for an import that notes when each of its steps starts.

    phases() gives the seconds of each step by its message, plus the time before the first
    step (reading and parsing the file, as a rule) and after the last one.
    """

    def __init__(self):
        self.marks: list[tuple[str | None, float]] = []

    def start(self, total: int, message: str = "") -> None:
        self.marks.append((message or "(unnamed step)", time.perf_counter()))

    def advance(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        self.marks.append((None, time.perf_counter()))

    def phases(self, began: float, ended: float) -> dict[str, float]:
        marks = [("(before the first step)", began), *self.marks, (None, ended)]
        seconds: dict[str, float] = {}
        for (name, at), (_, until) in zip(marks, marks[1:], strict=False):
            label = name if name is not None else "(between steps)"
            seconds[label] = seconds.get(label, 0.0) + max(until - at, 0.0)
        return {k: v for k, v in seconds.items() if v >= 0.005}


# --- Output -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction 0.95 for p95)."""
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 9))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def table_bytes(cursor, table: str) -> tuple[int, int]:
    """A PostgreSQL table's size with its indexes and its heap alone, in bytes, counting
    every partition of a partitioned table (whose own size is nothing)."""
    cursor.execute("SELECT coalesce(sum(pg_total_relation_size(relid)), 0), "
                   "coalesce(sum(pg_relation_size(relid)), 0) FROM pg_partition_tree(%s)",
                   [table])
    total, heap = cursor.fetchone()
    return int(total), int(heap)


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 or not _numeric(c) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def fresh_databases(*, sqlite: bool, postgres_url: str | None, keep: bool = False):
    """Yield the URL of each fresh database to benchmark: SQLite, then PostgreSQL if reachable.

    Each database exists only while its URL is being used (it is dropped afterwards, unless
    `keep` leaves the PostgreSQL one in place).
    """
    if sqlite:
        with sqlite_database() as url:
            yield url
    if postgres_url:
        problem = postgres_reachable(postgres_url)
        if problem:
            print(f"Note: PostgreSQL skipped, {postgres_url} is unreachable: {problem}")
            return
        with postgres_database(postgres_url, keep=keep) as url:
            yield url
            if keep:
                print(f"Kept {url}.")


def print_profile(profiler, label: str, sorts=(("cumulative", 35), ("tottime", 25))) -> None:
    """Print a cProfile run's top functions, once per sort order."""
    import io
    import pstats

    for sort, limit in sorts:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(limit)
        print(f"--- cProfile of {label}, by {sort} ---")
        print(out.getvalue())


# --- Diagnosis (in a worker) ---------------------------------------------------------------


def sql_of(call) -> list[tuple[float, str]]:
    """Call once more, recording the SQL: (milliseconds, statement)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    return [(float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries]


def print_sql(label: str, sql: list[tuple[float, str]]) -> None:
    print(f"--- SQL of {label}: {len(sql)} statements, {sum(ms for ms, _ in sql):.1f} ms ---")
    for ms, statement in sql:
        short = statement if len(statement) <= 600 else statement[:600] + " …"
        print(f"{ms:8.1f} ms  {short}")


def explain_slowest(connection, label: str, sql: list[tuple[float, str]], count: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) the `count` slowest statements of `sql`, and print the plans."""
    for ms, statement in sorted(sql, key=lambda item: -item[0])[:count]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        short = statement if len(statement) <= 1500 else statement[:1500] + " …"
        print(f"--- EXPLAIN ANALYZE of a {ms:.1f} ms statement of {label} ---\n{short}\n{plan}")


def profile_call(call, label: str, sorts=(("cumulative", 30),), *, one: str = "call") -> None:
    """Profile one call with cProfile and print its top functions ("one `one` of label")."""
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    print_profile(profiler, f"one {one} of {label}", sorts=sorts)


def timed_calls(call, *, repeat: int, warmup: int, prepare=None):
    """`warmup` untimed calls, then `repeat` timed ones, each after prepare() (untimed) if
    given. Returns the wall times and the CPU times in milliseconds, and the last result."""
    result = None
    for _ in range(warmup):
        if prepare:
            prepare()
        call()
    times, cpu = [], []
    for _ in range(repeat):
        if prepare:
            prepare()
        cpu_began = time.process_time()
        began = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - cpu_began) * 1000)
    return times, cpu, result


def peak_rss_mb() -> float:
    """The most resident memory this process has used so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def migrate_then_run(script: Path, url: str, worker_args: list[str], *, doing: str,
                     **env: str) -> dict:
    """Migrate the fresh database at `url`, then run the script's worker on it."""
    label = database_label(url)
    print(f"{label}: migrating a fresh database…", flush=True)
    migrate_seconds = migrate(url)
    print(f"{label}: migrated in {migrate_seconds:.1f} s; {doing}…", flush=True)
    result = run_worker(script, worker_args, url, **env)
    result["migrate_seconds"] = migrate_seconds
    return result


def run_on_each_database(script: Path, args: argparse.Namespace, worker_args: list[str], *,
                         doing: str, keep: bool = False, **env: str) -> list[dict]:
    """migrate_then_run on each fresh database the options of add_database_arguments ask for
    (fresh_databases); the workers' results."""
    sqlite = args.sqlite if "sqlite" in vars(args) else not args.no_sqlite
    urls = fresh_databases(sqlite=sqlite, keep=keep,
                           postgres_url=None if args.no_postgres else args.postgres_url)
    results = [migrate_then_run(script, url, worker_args, doing=doing, **env) for url in urls]
    if not results:
        print("No database was benchmarked.")
    return results


def run_on_postgres(script: Path, args: argparse.Namespace, worker_args: list[str]) -> dict | None:
    """The driver of a benchmark on PostgreSQL only, with --keep and --reuse: migrate the
    database (fresh, or the kept one with --reuse) and run the worker on it. None, with a
    note, if the server is unreachable."""
    problem = postgres_reachable(args.postgres_url)
    if problem:
        print(f"Skipped: this benchmark needs PostgreSQL, and {args.postgres_url} is "
              f"unreachable: {problem}")
        return None
    reusing = args.reuse and postgres_database_exists(args.postgres_url)
    with postgres_database(args.postgres_url, reuse=args.reuse, keep=args.keep) as url:
        print(f"PostgreSQL: {'migrating the kept' if reusing else 'migrating a fresh'} "
              "database…", flush=True)
        migrate(url)
        result = run_worker(script, worker_args, url)
        if args.keep:
            print(f"Kept {url} for --reuse.")
    return result


def main(parse_args, worker, driver, argv=None) -> None:
    """A benchmark script's entry point: its worker with --worker, else its driver."""
    args = parse_args(argv)
    (worker if args.worker else driver)(args)


def loads(load_average) -> str:
    """A load average as printed: "0.52, 0.61, 0.70"."""
    return ", ".join(f"{x:.2f}" for x in load_average)


def median_verdict(times: list[float], target_ms: float) -> str:
    """Median, p90 and max of `times` (ms) and whether the median is under `target_ms`."""
    median = statistics.median(times)
    verdict = "met" if median < target_ms else "MISSED"
    return (f"median {median:.0f} ms, p90 {percentile(times, 0.9):.0f} ms, max "
            f"{max(times):.0f} ms over {len(times)} calls (target median under "
            f"{target_ms:.0f} ms: {verdict})")
