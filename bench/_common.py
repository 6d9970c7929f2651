"""Shared by the benchmarks: test data, throwaway databases and worker processes.

The benchmark scripts run as a *driver* that prepares a fresh database and then starts a
*worker* process (the same script with --worker) per database, with DATABASE_URL set before
Django is imported. The worker prints its figures as one JSON line, tagged RESULT_TAG.
"""

import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path("/work/shared/data/cqc/cqc-api-locations-care-homes-south-west-2021-02.jsonl")
AUTHORITIES_CSV = ROOT / "caresight" / "registry" / "data" / "authorities.csv"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/caresight_bench"
RESULT_TAG = "BENCH-RESULT "


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


# --- Databases ----------------------------------------------------------------------------


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a process that works on `database_url`, with DEBUG off."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",  # DEBUG would keep every SQL statement in memory
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


@contextmanager
def postgres_database(url: str):
    """Create the database named in `url` (dropping an old one first), drop it afterwards."""
    import psycopg
    from psycopg import sql

    params = _pg_params(url)
    name = params.get("dbname") or ""
    if "bench" not in name:
        raise SystemExit(f"Refusing to create and drop {name!r}: its name must contain 'bench'.")
    admin = dict(params, dbname="postgres", autocommit=True)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(**admin) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(drop)


# --- Workers ------------------------------------------------------------------------------


def run_worker(script: Path, args: list[str], database_url: str, **env: str) -> dict:
    """Run `script --worker ARGS` with DATABASE_URL set; return the result it printed."""
    proc = subprocess.run(
        [sys.executable, str(script), "--worker", "--database-url", database_url, *args],
        cwd=ROOT, env=django_env(database_url, **env), stdout=subprocess.PIPE, text=True,
    )
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
        else:
            print(line)
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


# --- Output -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction 0.95 for p95)."""
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 9))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


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
