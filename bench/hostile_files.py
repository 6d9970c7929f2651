"""Benchmark: hostile files against the import reader — time to refusal and peak memory.

Issue 13: "a 10 MB XLSX that expands to 150 MB is refused within seconds and the worker stays
under 500 MB"; the hostile files (zip bomb, 100,000 columns, 40 MB CSV) are a benchmark: time
to refusal and peak memory.

The driver makes the files in a temporary directory and a fresh, migrated SQLite database,
then runs one worker process per file (so each peak is that file's alone). The worker, after
`django.setup()`, reads the file's bytes (as `caresight import` does) and times
`run_import(KIND, data=…, user=OPERATOR, dry_run=True)` — what the command line and the
background job call — until it answers. It reports the wall time, the refusal message, the
process's peak resident memory (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) and its resident
memory before the file was read; then it runs the same call again under `tracemalloc` and
reports the peak of Python allocations during the call.

`--code DIR` runs the workers on another checkout of the project (say, the code before the
shared import layer) for a before/after comparison; `--timeout` bounds each worker there.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

SCRIPT = Path(__file__).resolve()
TRACKER_HEADER = (
    "cqcid,location,odscode,localauthority,region,maxcapacity,usedbeds,declaredvacancies,"
    "isacceptingadmissions,admissionstatus,covid19count,covidresidentstotal,nursesemployed,"
    "careworkersemployed,noncareworkersemployed,agencynursesemployed,agencycareworkersemployed,"
    "agencynoncareworkersemployed,nursesabsentcovid,careworkersabsentcovid,"
    "noncareworkersabsentcovid,nursesabsentgeneral,careworkersabsentgeneral,"
    "noncareworkersabsentgeneral,hourspaid,hoursovertime,hoursagency,hoursabsence,daysabsence,"
    "lastupdatedutc,overallstatus,workforcestatus"
)


# --- The files ----------------------------------------------------------------------------


def zip_bomb(path: Path, expanded: int, seed: int) -> dict:
    """An XLSX whose sheet XML is `expanded` bytes of plausible rows, deflated to ~1/15."""
    import io

    import openpyxl

    shell_book = openpyxl.Workbook()
    shell_book.active.append(["cqcid", "name", "beds"])
    shell_bytes = io.BytesIO()
    shell_book.save(shell_bytes)
    shell = zipfile.ZipFile(shell_bytes)
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as bomb:
        for item in shell.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, shell.read(item))
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                        b'<row r="1"><c r="A1" t="inlineStr"><is><t>cqcid</t></is></c>'
                        b'<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
                        b'<c r="C1" t="inlineStr"><is><t>beds</t></is></c></row>')
            written, n = 0, 1
            filler = "Care home " * 18
            while written < expanded:
                chunk = []
                for _ in range(2_000):
                    n += 1
                    chunk.append(
                        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>1-'
                        f'{rng.randrange(10**9):09d}</t></is></c><c r="B{n}" t="inlineStr"><is>'
                        f'<t>{filler}</t></is></c><c r="C{n}"><v>{rng.randrange(100)}</v></c>'
                        "</row>")
                block = "".join(chunk).encode()
                sheet.write(block)
                written += len(block)
            sheet.write(b"</sheetData></worksheet>")
    expanded_total = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    return {"kind": "cqc", "expanded": expanded_total, "rows": n - 1}


def wide_csv(path: Path, columns: int) -> dict:
    header = ",".join(f"column{n}" for n in range(columns))
    row = ",".join(str(n % 10) for n in range(columns))
    path.write_text(f"{header}\n{row}\n{row}\n", "utf-8")
    return {"kind": "returns", "expanded": path.stat().st_size, "rows": 2}


def long_csv(path: Path, size: int, seed: int) -> dict:
    """A Capacity Tracker care home export, valid in form, grown to `size` bytes."""
    rng = random.Random(seed)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(TRACKER_HEADER + "\n")
        written = 0
        while written < size:
            rows += 1
            beds = rng.randrange(10, 80)
            line = (f"1-{rng.randrange(10**9):09d},Home {rows},VABC1,Devon,South West,{beds},"
                    f"{beds - 2},2,Yes,Open,0,0,3,20,5,0,1,0,0,0,0,0,1,0,400,10,5,8,1,"
                    "2020-06-04T09:15:00Z,GREEN,GREEN\n")
            f.write(line)
            written += len(line)
    return {"kind": "returns", "expanded": path.stat().st_size, "rows": rows}


CASES = [
    ("Zip bomb XLSX", "bomb.xlsx", lambda p, a: zip_bomb(p, a.bomb_mb * 1_000_000, a.seed)),
    ("100,000 columns (CSV)", "wide.csv", lambda p, a: wide_csv(p, a.columns)),
    ("40 MB CSV", "long.csv", lambda p, a: long_csv(p, a.csv_mb * 1_000_000, a.seed)),
]


# --- The worker ---------------------------------------------------------------------------


def worker(args) -> None:
    import tracemalloc

    if args.code:  # ahead of this checkout (setup_django adds ROOT only if it is missing)
        sys.path[:0] = [args.code, str(_common.ROOT)]
    _common.setup_django()
    from caresight.core.imports import run_import
    from caresight.core.tenancy import OPERATOR

    before = _common.peak_rss_mb()
    data = Path(args.file).read_bytes()
    began = time.perf_counter()
    result = run_import(args.kind, data=data, file_name=Path(args.file).name, user=OPERATOR,
                        dry_run=True)
    seconds = time.perf_counter() - began
    peak = _common.peak_rss_mb()
    message = result.file_error or result.summary()
    tracemalloc.start()
    run_import(args.kind, data=data, file_name=Path(args.file).name, user=OPERATOR, dry_run=True)
    traced = tracemalloc.get_traced_memory()[1] / 1_000_000
    tracemalloc.stop()
    _common.report({"seconds": seconds, "peak_rss_mb": peak, "start_rss_mb": before,
                    "traced_peak_mb": traced, "refused": not result.ok,
                    "message": message[:160]})


# --- The driver ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=150, help="the zip bomb's sheet, in MB")
    parser.add_argument("--columns", type=int, default=100_000)
    parser.add_argument("--csv-mb", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--code", help="run the workers on this checkout instead")
    parser.add_argument("--timeout", type=int, default=600, help="seconds for each worker")
    parser.add_argument("--only", choices=[c[1] for c in CASES], action="append",
                        help="run only this file (may be repeated)")
    _common.add_worker_arguments(parser)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    _common.banner("Hostile files: time to refusal and peak memory")
    code = Path(args.code or _common.ROOT)
    commit = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    print(f"code under test: {code} ({commit or 'unknown'})")
    rows = []
    with tempfile.TemporaryDirectory(prefix="caresight-hostile-") as folder, \
            _common.sqlite_database() as url:
        _common.migrate(url)
        for title, name, make in CASES:
            if args.only and name not in args.only:
                continue
            path = Path(folder) / name
            made = make(path, args)
            worker_args = ["--kind", made["kind"], "--file", str(path)]
            if args.code:
                worker_args += ["--code", args.code]
            try:
                result = run_worker_with_timeout(worker_args, url, args.timeout)
            except subprocess.TimeoutExpired:
                import resource

                # The worker was stopped: the most any child has used is what is known.
                children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                result = {"seconds": float(args.timeout), "peak_rss_mb": children,
                          "start_rss_mb": float("nan"), "traced_peak_mb": float("nan"),
                          "refused": False,
                          "message": f"not answered in {args.timeout} s (stopped; peak RSS of "
                                     f"the processes so far {children:.0f} MB)"}
            rows.append([title, f"{path.stat().st_size / 1e6:.1f}",
                         f"{made['expanded'] / 1e6:.1f}", f"{made['rows']:,}",
                         f"{result['seconds']:.2f}", f"{result['start_rss_mb']:.0f}",
                         f"{result['peak_rss_mb']:.0f}", f"{result['traced_peak_mb']:.1f}",
                         "yes" if result["refused"] else "no"])
            print(f"{title}: {result['message']}", flush=True)
    _common.print_table(["file", "MB on disk", "MB expanded", "rows", "s to answer",
                         "RSS before MB", "peak RSS MB", "traced peak MB", "refused"], rows)


def run_worker_with_timeout(worker_args: list[str], url: str, timeout: int) -> dict:
    env = _common.django_env(url)
    for name in _common.NATIONAL_FILE_LIMITS:  # the hostile files meet the default limits
        if name not in os.environ:
            env.pop(name)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--worker", "--database-url", url, *worker_args],
        cwd=_common.ROOT, env=env, stdout=subprocess.PIPE, text=True,
        timeout=timeout, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(_common.RESULT_TAG):
            return json.loads(line[len(_common.RESULT_TAG):])
        print(line)
    raise SystemExit(f"The worker failed (exit {proc.returncode}).")


if __name__ == "__main__":
    main()
