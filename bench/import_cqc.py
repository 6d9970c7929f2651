"""Benchmark the CQC import: 30,000 CQC API location objects into a fresh database.

Target: "Import 30,000 CQC locations in under 30 s on this machine (2 cores), SQLite and
PostgreSQL."

The driver writes the test file (clones of the real South West sample, see
_common.generate_locations), then for each database creates it fresh, runs `caresight
migrate`, and starts one worker process (this script with --worker) with DATABASE_URL set.
The worker sets Django up and times, in-process, three calls of
core.imports.run_import("cqc", user=OPERATOR) — what `caresight import cqc` and the background
job call — on the same file: the first import (everything
created), a second import (everything unchanged) and a dry run. Django's start-up and the
migrations are not in the timings; reading the file into memory is not either, but parsing
it (inside the import) is.

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

TARGET_SECONDS = 30.0
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
    """A cqc_import progress reporter that notes when each phase starts and finishes."""

    def __init__(self):
        self.marks: list[tuple[str, float]] = []

    def start(self, total: int, message: str = "") -> None:
        self.marks.append((f"start {message}", time.perf_counter()))

    def advance(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        self.marks.append(("finish", time.perf_counter()))

    def phases(self, began: float, ended: float) -> dict[str, float]:
        """Seconds spent reading and looking up, checking rows, and saving."""
        starts = {name: t for name, t in self.marks if name.startswith("start")}
        finishes = [t for name, t in self.marks if name == "finish"]
        check = starts.get("start Checking rows", ended)
        checked = finishes[0] if finishes else ended
        save = starts.get("start Saving changes")
        return {
            "read+parse+lookups": check - began,
            "check rows": checked - check,
            "save": (finishes[1] - save) if save and len(finishes) > 1 else 0.0,
        }


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
    for label, dry_run in RUNS:
        timer = PhaseTimer()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        began, cpu_began = time.perf_counter(), time.process_time()
        result = run_import("cqc", data=data, file_name=args.data_file.name, user=OPERATOR,
                            dry_run=dry_run, progress=timer)
        ended, cpu = time.perf_counter(), time.process_time() - cpu_began
        if profiler is not None:
            profiler.disable()
            _common.print_profile(profiler, f"the {label}")
        if not result.ok:
            raise SystemExit(f"{label} failed: {result.summary()} "
                             f"{[str(e) for e in result.errors[:5]]}")
        runs.append({
            "run": label, "rows": result.rows, "seconds": ended - began, "cpu_seconds": cpu,
            "counts": result.counts, "phases": timer.phases(began, ended),
        })
    _common.report({
        "database": _common.database_label(args.database_url), "journal": journal,
        "bytes": len(data), "runs": runs,
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
            rows.append([
                res["database"], run["run"], f"{run['rows']:,}", f"{run['seconds']:.1f}",
                f"{run['cpu_seconds']:.1f}",
                f"{run['rows'] / run['seconds']:,.0f}", c["created"], c["updated"],
                c["unchanged"], c["providers_created"],
            ])
    _common.print_table(
        ["database", "run", "rows", "seconds", "python cpu s", "rows/s", "created", "updated",
         "unchanged", "providers created"], rows)
    print()
    _common.print_table(
        ["database", "run", "read+parse+lookups s", "check rows s", "save s"],
        [[res["database"], run["run"]] + [f"{run['phases'][k]:.1f}" for k in
                                          ("read+parse+lookups", "check rows", "save")]
         for res in results for run in res["runs"]],
    )
    print()
    for res in results:
        first = res["runs"][0]
        verdict = "met" if first["seconds"] < TARGET_SECONDS else "MISSED"
        print(f"{res['database']} ({res['journal']}): {res['locations']:,} locations, "
              f"{res['providers']:,} providers, {res['location_history']:,} location and "
              f"{res['provider_history']:,} provider history rows; migrate "
              f"{res['migrate_seconds']:.1f} s; file {res['bytes'] / 1e6:.0f} MB; worker peak "
              f"memory {res['peak_rss_mb']:,.0f} MB. Target "
              f"(first import under {TARGET_SECONDS:.0f} s): {verdict} "
              f"({first['seconds']:.1f} s). Load average at the end: "
              f"{_common.loads(res['load_average'])}.")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
