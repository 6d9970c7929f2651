"""Benchmark the CQC import: 30,000 CQC API location objects into a fresh database.

Target (issue 17): "CQC import, 30,000 locations: under 5 s" on PostgreSQL on this machine (2
cores), printed beside the same rows written by plain COPY; SQLite is reported too. Memory: the
worker under 1 GB.

The driver writes the test file (clones of the real South West sample, see
_common.generate_locations), then for each database creates it fresh, runs `caresight
migrate`, and starts one worker process (this script with --worker) with DATABASE_URL set.
The worker sets Django up and times, in-process, three calls of
core.imports.run_import("cqc", user=OPERATOR) — what `caresight import cqc` and the background
job call — on the same file: the first import (everything
created), a second import (everything unchanged) and a dry run. Django's start-up and the
migrations are not in the timings; reading the file into memory is not either, but parsing
it (inside the import) is. It then writes the rows the first import wrote (providers,
locations and their history rows) again into the same tables by plain COPY (PostgreSQL) or
plain INSERT through executemany (SQLite), in a transaction rolled back afterwards, and times
that too. Beside the wall time it prints the worker's CPU time and, on PostgreSQL, the CPU time
of its database backend (read from /proc), since on a shared machine wall time alone says
little.

    .venv/bin/python bench/import_cqc.py                 # SQLite and PostgreSQL, 30,000 rows
    .venv/bin/python bench/import_cqc.py --rows 5000 --no-postgres
    .venv/bin/python bench/import_cqc.py --profile       # cProfile of the first import
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

TARGET_SECONDS = 5.0  # the first import, PostgreSQL
RUNS = [("first import", False), ("second import", False), ("dry run", True)]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time cqc_import of N generated CQC API locations on a fresh SQLite file "
        "database and a fresh PostgreSQL database (skipped if the server is unreachable).",
    )
    parser.add_argument("--rows", type=int, default=30_000,
                        help="locations to generate and import (default 30000)")
    parser.add_argument("--providers", type=int, default=12_000,
                        help="distinct providers among them (default 12000)")
    _common.add_sample_arguments(parser)
    _common.add_database_arguments(parser)
    parser.add_argument("--keep-file", type=Path, metavar="PATH",
                        help="also write the generated JSON lines file here")
    parser.add_argument("--profile", action="store_true",
                        help="profile each run with cProfile and print the top functions")
    _common.add_worker_arguments(parser)
    parser.add_argument("--data-file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- Worker: one database, in one process -------------------------------------------------


class PhaseTimer:
    """A cqc_import progress reporter that notes when each phase starts and finishes, in wall
    and in this process's CPU seconds."""

    def __init__(self):
        self.marks: list[tuple[str, float, float]] = []

    def start(self, total: int, message: str = "") -> None:
        self.marks.append((f"start {message}", time.perf_counter(), time.process_time()))

    def advance(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        self.marks.append(("finish", time.perf_counter(), time.process_time()))

    def phases(self, began: tuple[float, float], ended: tuple[float, float]
               ) -> dict[str, list[float]]:
        """[wall, CPU] seconds spent reading and looking up, checking rows, and saving."""
        starts = {name: (t, c) for name, t, c in self.marks if name.startswith("start")}
        finishes = [(t, c) for name, t, c in self.marks if name == "finish"]
        check = starts.get("start Checking rows", ended)
        checked = finishes[0] if finishes else ended
        save = starts.get("start Saving changes")
        saved = finishes[1] if save and len(finishes) > 1 else None
        return {
            "read+parse+lookups": [check[0] - began[0], check[1] - began[1]],
            "check rows": [checked[0] - check[0], checked[1] - check[1]],
            "save": [saved[0] - save[0], saved[1] - save[1]] if save and saved else [0.0, 0.0],
        }


class ServerClock:
    """The CPU seconds of this connection's PostgreSQL backend (same machine), read from
    /proc: on a shared machine, wall time alone says little. None elsewhere."""

    def __init__(self, connection):
        self.stat = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                path = Path(f"/proc/{cursor.fetchone()[0]}/stat")
            self.stat = path if path.exists() else None
        self.ticks = os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float | None:
        if self.stat is None:
            return None
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime


def copy_same_rows(connection) -> dict:
    """Write the rows the first import wrote (the providers, the locations and their history
    rows, as they are now) again into the same tables by plain COPY (PostgreSQL) or plain
    INSERT … VALUES through executemany (SQLite), after emptying them, in a transaction that
    is rolled back. Returns its wall, worker CPU and server CPU seconds."""
    from django.db import transaction

    from caresight.registry.models import Location, Provider

    models = [Provider, Location, Provider.history.model, Location.history.model]
    tables = [m._meta.db_table for m in models]
    qn = connection.ops.quote_name
    server = ServerClock(connection)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            saved = []
            for table in tables:
                with cursor.cursor.copy(f"COPY {qn(table)} TO STDOUT") as copy:
                    saved.append(b"".join(bytes(block) for block in copy))
            cursor.execute(f"TRUNCATE {', '.join(qn(t) for t in tables)} CASCADE")
        else:
            saved = []
            for table in tables:
                cursor.execute(f"SELECT * FROM {qn(table)}")  # nosec B608 (model names)
                saved.append(([c[0] for c in cursor.description], cursor.fetchall()))
            for table in reversed(tables):
                cursor.execute(f"DELETE FROM {qn(table)}")  # nosec B608
        rows = sum(len(s[1]) if isinstance(s, tuple) else s.count(b"\n") for s in saved)
        server_began = server.seconds()
        began, cpu_began = time.perf_counter(), time.process_time()
        for table, data in zip(tables, saved, strict=True):
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {qn(table)} FROM STDIN") as copy:
                    copy.write(data)
            else:
                names, values = data
                cursor.executemany(
                    f"INSERT INTO {qn(table)} ({', '.join(qn(n) for n in names)}) "  # nosec
                    f"VALUES ({', '.join(['%s'] * len(names))})", values)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        server_cpu = server.seconds()
        transaction.set_rollback(True)
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": rows,
            "server_cpu_seconds": None if server_began is None else server_cpu - server_began}


def worker(args: argparse.Namespace) -> None:
    _common.setup_django()
    from django.db import connection

    from caresight.core.imports import run_import
    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Location, Provider

    data = args.data_file.read_bytes()
    engine = connection.vendor
    with connection.cursor() as cursor:
        if engine == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
        else:
            cursor.execute("SHOW server_version")
            journal = f"server {cursor.fetchone()[0]}"
    runs = []
    server = ServerClock(connection)
    for label, dry_run in RUNS:
        timer = PhaseTimer()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        server_began = server.seconds()
        began, cpu_began = time.perf_counter(), time.process_time()
        result = run_import("cqc", data=data, file_name=args.data_file.name, user=OPERATOR,
                            dry_run=dry_run, progress=timer)
        ended, cpu = time.perf_counter(), time.process_time() - cpu_began
        server_ended = server.seconds()
        if profiler is not None:
            profiler.disable()
            _common.print_profile(profiler, f"the {label}")
        if not result.ok:
            raise SystemExit(f"{label} failed: {result.summary()} "
                             f"{[str(e) for e in result.errors[:5]]}")
        runs.append({
            "run": label, "rows": result.rows, "seconds": ended - began, "cpu_seconds": cpu,
            "server_cpu_seconds": None if server_began is None else server_ended - server_began,
            "counts": result.counts,
            "phases": timer.phases((began, cpu_began), (ended, cpu_began + cpu)),
        })
    plain = copy_same_rows(connection)
    _common.report({
        "database": _common.database_label(args.database_url), "journal": journal,
        "bytes": len(data), "runs": runs, "plain": plain,
        "locations": Location.objects.count(), "providers": Provider.objects.count(),
        "location_history": Location.history.count(),
        "provider_history": Provider.history.count(), "load_average": os.getloadavg(),
        "peak_rss_mb": _common.peak_rss_mb(),
    })


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("CQC import benchmark")
    started = time.perf_counter()
    data = _common.generate_locations(args.rows, providers=args.providers, seed=args.seed,
                                      sample=args.sample)
    print(f"Generated {args.rows:,} CQC API locations ({len(data) / 1e6:.1f} MB, "
          f"{min(args.rows, args.providers):,} providers) in "
          f"{time.perf_counter() - started:.1f} s.")
    if args.keep_file:
        args.keep_file.write_bytes(data)
        print(f"Wrote {args.keep_file}.")
    with tempfile.TemporaryDirectory(prefix="caresight-bench-data-") as folder:
        data_file = Path(folder) / f"cqc-locations-{args.rows}.jsonl"
        data_file.write_bytes(data)
        len_data = len(data)
        del data
        worker_args = ["--data-file", str(data_file)]
        worker_args += ["--profile"] if args.profile else []
        # 30,000 CQC API objects are 121 MB of JSON lines, more than an upload may be: the
        # operator importing a national file raises the import limits, as here.
        limit = str(max(len_data * 2, 50 << 20))
        results = _common.run_on_each_database(
            Path(__file__).resolve(), args, worker_args, doing="importing",
            CARESIGHT_MAX_IMPORT_BYTES=limit, CARESIGHT_IMPORT_MAX_UNCOMPRESSED_BYTES=limit)
    if results:
        _print_results(results)


def _print_results(results: list[dict]) -> None:
    print()
    rows = []
    for res in results:
        for run in res["runs"]:
            c = run["counts"]
            server = run.get("server_cpu_seconds")
            rows.append([
                res["database"], run["run"], f"{run['rows']:,}", f"{run['seconds']:.2f}",
                f"{run['cpu_seconds']:.2f}", "–" if server is None else f"{server:.2f}",
                f"{run['rows'] / run['seconds']:,.0f}", c["created"], c["updated"],
                c["unchanged"], c["providers_created"],
            ])
        plain, server = res["plain"], res["plain"]["server_cpu_seconds"]
        rows.append([
            res["database"],
            "plain COPY, same rows" if res["database"] == "PostgreSQL" else
            "plain INSERT, same rows", f"{plain['rows']:,}", f"{plain['seconds']:.2f}",
            f"{plain['cpu_seconds']:.2f}", "–" if server is None else f"{server:.2f}",
            f"{plain['rows'] / plain['seconds']:,.0f}", "", "", "", ""])
    _common.print_table(
        ["database", "run", "rows", "seconds", "worker cpu s", "server cpu s", "rows/s",
         "created", "updated", "unchanged", "providers created"], rows)
    print()
    keys = ("read+parse+lookups", "check rows", "save")
    _common.print_table(
        ["database", "run", *(f"{k} s (cpu)" for k in keys)],
        [[res["database"], run["run"]] + [f"{run['phases'][k][0]:.2f} ({run['phases'][k][1]:.2f})"
                                          for k in keys]
         for res in results for run in res["runs"]],
    )
    print()
    for res in results:
        first, plain = res["runs"][0], res["plain"]
        verdict = "met" if first["seconds"] < TARGET_SECONDS else "MISSED"
        print(f"{res['database']} ({res['journal']}): {res['locations']:,} locations, "
              f"{res['providers']:,} providers, {res['location_history']:,} location and "
              f"{res['provider_history']:,} provider history rows; migrate "
              f"{res['migrate_seconds']:.1f} s; file {res['bytes'] / 1e6:.0f} MB; worker peak "
              f"memory {res['peak_rss_mb']:,.0f} MB. Target "
              f"(first import under {TARGET_SECONDS:.0f} s): {verdict} "
              f"({first['seconds']:.2f} s; {first['seconds'] / plain['seconds']:.1f}× the "
              f"plain write of its {plain['rows']:,} rows, which took {plain['seconds']:.2f} s)."
              f" Load average at the end: {_common.loads(res['load_average'])}.")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
