"""Benchmark the weekly highlight report for a joint area of 300 services: page, PDF, Word.

Target (issue 15): "The highlight report for a joint area of 300 services: page under 1 s; PDF
and Word each under 5 s; the worker under 500 MB while rendering."

The driver creates a fresh PostgreSQL database (and, with --sqlite, a fresh SQLite file), runs
`caresight migrate`, and starts one worker process (this script with --worker) with
DATABASE_URL set and DEBUG off. The worker loads the demo area (`caresight demo`: 240 services
in Cambridgeshire and Peterborough with eight weeks of returns, outbreaks, the risk log, an
Infection Control Fund round, the support plan, the risk register, decisions, business cases,
the team's absences and a fortnight of narrative entries), then imports generated CQC locations
into the two councils until the joint area has --services services, runs ANALYZE on
PostgreSQL, and signs in as the demo commissioner (both councils). It then times, each
--warmup untimed and --repeat timed:

- the report page built from the live figures (`/reports/build/?kind=highlight&authority=…`,
  the whole Django request in-process through django.test.Client),
- its PDF and its Word file (the same request with `format=pdf` / `format=docx`),
- the published report's page (publishing once, untimed, then reading it: the page builds the
  report again to say what has changed since),
- the committee report's page, PDF and Word (four weeks; the most tables),

and prints the worker's peak resident memory (getrusage), which includes the demo load.

    .venv/bin/python bench/reports.py             # PostgreSQL (caresight_reports_bench), ~2 min
    .venv/bin/python bench/reports.py --sqlite    # SQLite as well
"""

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_reports_bench"
COUNCILS = {"E10000003": "Cambridgeshire", "E06000031": "Peterborough"}
TARGETS_MS = {"page": 1_000.0, "pdf": 5_000.0, "docx": 5_000.0, "published page": 1_000.0,
              "committee page": 1_000.0, "committee pdf": 5_000.0, "committee docx": 5_000.0}
MEMORY_TARGET_MB = 500.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the weekly highlight report (page, PDF, Word, published page) for "
        "Cambridgeshire and Peterborough with --services services, on a fresh PostgreSQL "
        "database (and SQLite with --sqlite).")
    parser.add_argument("--services", type=int, default=300,
                        help="services in the joint area (default 300; the demo has 240)")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests each (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed requests first (1)")
    _common.add_database_arguments(parser, default_url=DEFAULT_URL, sqlite="--sqlite")
    _common.add_worker_arguments(parser)
    return parser.parse_args(argv)


# --- Worker -----------------------------------------------------------------------------------


def _more_services(count: int) -> int:
    """Import `count` generated CQC locations into the two councils (half each)."""
    if count <= 0:
        return 0
    lines = _common.generate_locations(count, providers=max(count // 3, 1)).decode().split("\n")
    names = list(COUNCILS.values())
    placed = []
    for n, line in enumerate(line for line in lines if line.strip()):
        record = json.loads(line)
        record["localAuthority"] = names[n % 2]
        placed.append(json.dumps(record, separators=(",", ":")))
    _common.import_register(("\n".join(placed) + "\n").encode(), "bench-more-services.jsonl")
    return len(placed)


def worker(args: argparse.Namespace) -> None:
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    _common.setup_django()
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from caresight.accounts.models import User
    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Location
    from caresight.reports.services import report_publish

    began = time.perf_counter()
    call_command("demo", stdout=io.StringIO())
    demo_seconds = time.perf_counter() - began
    in_area = Location.objects.filter(authority__ons_code__in=COUNCILS).count()
    added = _more_services(args.services - in_area)
    services = Location.objects.filter(authority__ons_code__in=COUNCILS).count()
    print(f"Loaded the demo in {demo_seconds:.1f} s and {added} more services: {services} in "
          "the joint area.", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(User.objects.get(email="commissioner@demo.caresight.test"))
    today = timezone.localdate()
    query = (f"kind=highlight&authority={'&authority='.join(COUNCILS)}"
             f"&as_of={today.isoformat()}")
    results = []

    def timed(label: str, path: str) -> None:
        def request():
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}")
            return response

        times, cpu, response = _common.timed_calls(request, repeat=args.repeat,
                                                   warmup=args.warmup)
        results.append({"label": label, "path": path, "times_ms": times, "cpu_ms": cpu,
                        "bytes": len(response.content)})
        print(f"{label}: median {statistics.median(times):.0f} ms", flush=True)

    timed("page", f"/reports/build/?{query}")
    timed("pdf", f"/reports/build/?{query}&format=pdf")
    timed("docx", f"/reports/build/?{query}&format=docx")
    began = time.perf_counter()
    report = report_publish(user=OPERATOR, kind="highlight", authority_codes=list(COUNCILS),
                            as_of=today)
    publish_seconds = time.perf_counter() - began
    timed("published page", f"/reports/published/{report.pk}/")
    # The committee report has the most tables (the action plan, the returns summary and its
    # IPC table, the fund, the risk register); the figures are the highlight
    # report's, and the same targets are printed beside it.
    committee = query.replace("kind=highlight", "kind=committee")
    timed("committee page", f"/reports/build/?{committee}")
    timed("committee pdf", f"/reports/build/?{committee}&format=pdf")
    timed("committee docx", f"/reports/build/?{committee}&format=docx")
    _common.report({"database": _common.database_label(args.database_url),
                    "services": services, "demo_seconds": demo_seconds,
                    "publish_seconds": publish_seconds, "repeat": args.repeat,
                    "warmup": args.warmup, "results": results,
                    "peak_rss_mb": _common.peak_rss_mb(), "load_average": os.getloadavg(),
                    "sections": len(report.figures["sections"]),
                    "tables": sum(len((d.get("figures") or {}).get("tables", []))
                                  for s in report.figures["sections"] for d in s["data"])})


# --- Driver -----------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Generated reports benchmark")
    worker_args = ["--services", str(args.services), "--repeat", str(args.repeat),
                   "--warmup", str(args.warmup)]
    results = _common.run_on_each_database(
        Path(__file__).resolve(), args, worker_args,
        doing="loading the demo and timing the highlight report",
        ALLOWED_HOSTS="testserver,127.0.0.1")
    for result in results:
        print()
        print(f"{result['database']}: the weekly highlight report for Cambridgeshire and "
              f"Peterborough, {result['services']} services ({result['sections']} sections, "
              f"{result['tables']} tables); published once in {result['publish_seconds']:.1f} "
              f"s (page, PDF and Word drawn and kept); {result['repeat']} timed requests each "
              f"after {result['warmup']} warm-up; load average at the end "
              f"{_common.loads(result['load_average'])}")
        rows = []
        for r in result["results"]:
            median = statistics.median(r["times_ms"])
            target = TARGETS_MS[r["label"]]
            rows.append([r["label"], f"{median:.0f}", f"{max(r['times_ms']):.0f}",
                         f"{statistics.median(r['cpu_ms']):.0f}",
                         f"{r['bytes'] / 1000:.0f}", f"< {target:.0f}",
                         "PASS" if median < target else "FAIL"])
        _common.print_table(["request", "median ms", "max ms", "python cpu ms", "kB",
                             "target ms", "verdict"], rows)
        peak = result["peak_rss_mb"]
        print(f"Worker peak memory: {peak:.0f} MB (target under {MEMORY_TARGET_MB:.0f} MB: "
              f"{'PASS' if peak < MEMORY_TARGET_MB else 'FAIL'}), the demo load included.")
        for r in result["results"]:
            print(f"  {r['label']}: {r['path']}")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
