"""Benchmark the Capacity Tracker returns import: one national day, and day after day.

Targets (issue 17, PostgreSQL): one national day (25,000 rows, both exports) imported in under
1 s; a year through the import at 50,000 rows/s or more, and at 0.3 times or more the rate of
a plain COPY of the same rows into the same tables, printed side by side in the same run.
(Issue 3's were 10 s a day, and the ratio to a plain bulk insert.)

For each database the driver creates it fresh, runs `caresight migrate`, and starts one
worker process (this script with --worker) with DATABASE_URL set. The worker, untimed, loads
a register of --locations generated CQC locations with run_import("cqc") and makes every
fifth one a home care service (_common.load_register). Then, for each of --days successive
days from --start, it makes each service's answers for the day (_common.ServiceAnswers: the
day before's, a little changed), writes them as the two national Capacity Tracker exports (a
care home CSV and a community CSV, the exports' own column names) and times
run_import("returns", …) of both files, in-process, as `caresight import returns` calls it:

1. day 1 into the empty returns table (the target: under 1 s);
2. day 1 again (everything unchanged);
3. every day, 1 to --days: rows per second over them all.

Then it empties the returns table (and its history), makes the same answers again (same
seed) and times a plain write of the same rows into the same tables, two a day as the import
makes two: on PostgreSQL a COPY of the returns and a COPY of their history rows, one
transaction each; on SQLite Return.objects.bulk_create(batch_size=…). The import's rows per
second against the plain write's. Making the answers and writing the files is not timed;
parsing them is.

    .venv/bin/python bench/returns_import.py                    # SQLite and PostgreSQL, 14 days
    .venv/bin/python bench/returns_import.py --days 365 --no-sqlite    # a year (about 40 min)
    .venv/bin/python bench/returns_import.py --days 2 --profile  # cProfile of day 1's import
"""

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

TARGET_SECONDS = 1.0
TARGET_RATE = 50_000  # rows a second over the days
TARGET_RATIO = 0.3  # of the plain COPY's rate
START = dt.date(2020, 4, 1)
UPDATED_AT = "T09:15:00Z"  # the tracker's timestamps are UTC; 09:15 is the same UK day
GROUP_OF_TYPE, TYPE_OF_GROUP = _common.GROUP_OF_TYPE, _common.TYPE_OF_GROUP

# The national exports' columns, in their order: (column, measure code) for a column that
# answers a measure, (column, None) for one the import does not read into a measure.
CARE_HOME_COLUMNS = [
    ("cqcid", None), ("location", None), ("odscode", None), ("localauthority", None),
    ("region", None), ("maxcapacity", "beds_registered"), ("usedbeds", "beds_occupied"),
    ("declaredvacancies", "beds_vacant"), ("isacceptingadmissions", "admissions_open"),
    ("admissionstatus", None), ("covid19count", "residents_covid_confirmed"),
    ("covidresidentstotal", None), ("nursesemployed", "nurses_employed"),
    ("careworkersemployed", "care_workers_employed"),
    ("noncareworkersemployed", "non_care_staff_employed"),
    ("agencynursesemployed", "agency_nurses"),
    ("agencycareworkersemployed", "agency_care_workers"),
    ("agencynoncareworkersemployed", "agency_non_care_staff"),
    ("nursesabsentcovid", "nurses_absent_covid"),
    ("careworkersabsentcovid", "care_workers_absent_covid"),
    ("noncareworkersabsentcovid", "non_care_staff_absent_covid"),
    ("nursesabsentgeneral", "nurses_absent_other"),
    ("careworkersabsentgeneral", "care_workers_absent_other"),
    ("noncareworkersabsentgeneral", "non_care_staff_absent_other"),
    ("hourspaid", "hours_paid"), ("hoursovertime", "hours_overtime"),
    ("hoursagency", "hours_agency"), ("hoursabsence", None), ("daysabsence", None),
    ("lastupdatedutc", None), ("overallstatus", None), ("workforcestatus", None),
]
COMMUNITY_COLUMNS = [
    ("cqcid", None), ("location", None), ("laname", None),
    ("serviceusercount", "people_supported"), ("usersnhsla", "people_supported_council"),
    ("usersselffunded", "people_supported_self_funded"),
    ("cqccareworkersemployed", "care_workers_employed"),
    ("cqccareworkersabsent", "care_workers_absent"),
    ("covid19count", "people_covid_confirmed"),
    ("covid19suspectedcount", "people_covid_suspected"),
    ("ppeaprons", "ppe_days_aprons"), ("ppeeyes", "ppe_days_eye_protection"),
    ("ppegloves", "ppe_days_gloves"), ("ppemasks", "ppe_days_masks"),
    ("ppesanitiser", "ppe_days_sanitiser"), ("hascqcppeissues", "ppe_cqc_issues"),
    ("received_flu_vaccination", "staff_flu_vaccinated"),
    ("hourspaiddomcare", "hours_paid"), ("hoursagencydomcare", "hours_agency"),
    ("hoursabsencedomcare", "hours_absence"), ("cqcsurveylastupdatedutc", None),
]
COLUMNS = {"care_home": CARE_HOME_COLUMNS, "community": COMMUNITY_COLUMNS}
IMPORTED = {group: [(column, code) for column, code in columns if code]
            for group, columns in COLUMNS.items()}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time run_import('returns') of generated national Capacity Tracker "
        "exports (a care home CSV and a community CSV a day) for N locations: one day into "
        "an empty table, the same day again, then --days successive days; and a plain "
        "write of the same rows (COPY on PostgreSQL, bulk_create on SQLite). On a fresh "
        "SQLite file database and a fresh "
        "PostgreSQL database (skipped if the server is unreachable).",
    )
    parser.add_argument("--locations", type=int, default=25_000,
                        help="locations on the register, one return each a day (default 25000)")
    parser.add_argument("--community-every", type=int, default=5, metavar="N",
                        help="make every Nth location a home care service (default 5: 20%%)")
    parser.add_argument("--days", type=int, default=14,
                        help="successive days to import (default 14; 365 for a year)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=START,
                        help="the first day, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=900,
                        help="bulk_create batch size of the plain insert on SQLite (default "
                        "900)")
    parser.add_argument("--no-plain", action="store_true",
                        help="skip the plain COPY (bulk_create) comparison")
    parser.add_argument("--providers", type=int, default=12_000,
                        help="distinct providers among the locations (default 12000)")
    _common.add_sample_arguments(parser)
    _common.add_database_arguments(parser)
    parser.add_argument("--keep-files", type=Path, metavar="DIR",
                        help="also write day 1's two CSV files into DIR")
    parser.add_argument("--profile", action="store_true",
                        help="profile day 1's import (both files, into the empty table) with "
                        "cProfile and print the top functions")
    _common.add_worker_arguments(parser)
    return parser.parse_args(argv)


# --- Test files ---------------------------------------------------------------------------


class Services:
    """Every service on the register and its answers, day after day."""

    def __init__(self, rows: list[tuple], *, seed: int):
        definitions = _common.measure_set_definitions()
        rng = random.Random(seed)
        self.rows = rows  # (pk, cqc id, service type, beds, name, authority, region)
        self.answers = [
            _common.ServiceAnswers(definitions[GROUP_OF_TYPE[row[2]]], size=row[3], rng=rng)
            for row in rows
        ]
        self.rng = random.Random(seed + 1)

    def next_day(self) -> dict[str, list[tuple[tuple, dict]]]:
        """Each service's answers for the next day, by service group, as the import keeps
        them (only the measures the export answers)."""
        by_group: dict[str, list[tuple[tuple, dict]]] = {"care_home": [], "community": []}
        for row, answers in zip(self.rows, self.answers, strict=True):
            group = GROUP_OF_TYPE[row[2]]
            values = answers.next_day()
            by_group[group].append(
                (row, {code: values[code] for _, code in IMPORTED[group] if code in values}))
        return by_group

    def csv(self, group: str, day: dt.date, rows: list[tuple[tuple, dict]]) -> bytes:
        """The national export of `group` for `day`, with the exports' column names."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = COLUMNS[group]
        writer.writerow([column for column, _ in columns])
        stamp = day.isoformat() + UPDATED_AT
        rng = self.rng
        for (_, cqc_id, _, _, name, authority, region), values in rows:
            if group == "care_home":
                extra = {
                    "cqcid": cqc_id, "location": name, "odscode": "", "localauthority": authority,
                    "region": region,
                    "admissionstatus": "Open" if values.get("admissions_open") else "Closed",
                    "covidresidentstotal": values.get("residents_covid_confirmed", 0)
                    + rng.randint(0, 20),
                    "hoursabsence": rng.randint(0, 200), "daysabsence": rng.randint(0, 30),
                    "lastupdatedutc": stamp, "overallstatus": "GREEN",
                    "workforcestatus": rng.choice(("GREEN", "GREEN", "AMBER", "RED")),
                }
            else:
                extra = {"cqcid": cqc_id, "location": name, "laname": authority,
                         "cqcsurveylastupdatedutc": stamp}
            writer.writerow([_cell(values.get(code)) if code else extra[column]
                             for column, code in columns])
        return out.getvalue().encode("utf-8")


def _cell(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return str(value)


# --- Worker: one database, in one process -------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    _common.setup_django()
    from django.db import connection

    from caresight.core.imports import run_import
    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Location
    from caresight.returns.models import Return

    print(f"Loading a register of {args.locations:,} locations…", flush=True)
    register = _common.load_register(args.locations, providers=args.providers, seed=args.seed,
                                     sample=args.sample, community_every=args.community_every)
    print(f"Register loaded in {register['seconds']:.1f} s ({register['community']:,} made "
          "home care services).", flush=True)
    rows = list(Location.objects.order_by("pk").values_list(
        "pk", "cqc_location_id", "service_type", "registered_beds", "name", "authority__name",
        "authority__region__name"))
    rows = [row for row in rows if row[2] in GROUP_OF_TYPE]
    services = Services(rows, seed=args.seed)

    def import_day(day: dt.date, by_group: dict, *, profile: bool = False) -> dict:
        files = {group: services.csv(group, day, by_group[group]) for group in by_group}
        if args.keep_files and day == args.start:
            args.keep_files.mkdir(parents=True, exist_ok=True)
            for group, data in files.items():
                (args.keep_files / f"capacity-tracker-{group}-{day}.csv").write_bytes(data)
        run = {"seconds": 0.0, "cpu_seconds": 0.0, "rows": 0, "counts": {}, "phases": {},
               "bytes": sum(len(d) for d in files.values())}
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
        for group, data in files.items():
            marks = _common.ProgressMarks()
            if profiler:
                profiler.enable()
            began, cpu_began = time.perf_counter(), time.process_time()
            result = run_import("returns", data=data, file_name=f"{group}-{day}.csv", user=OPERATOR,
                                dry_run=False, progress=marks)
            ended = time.perf_counter()
            if profiler:
                profiler.disable()
            if not result.ok:
                raise SystemExit(f"The {group} import of {day} failed: {result.summary()} "
                                 f"{[str(e) for e in result.errors[:5]]}")
            run["seconds"] += ended - began
            run["cpu_seconds"] += time.process_time() - cpu_began
            run["rows"] += result.rows
            for key, value in result.counts.items():
                run["counts"][key] = run["counts"].get(key, 0) + value
            for key, value in marks.phases(began, ended).items():
                run["phases"][key] = run["phases"].get(key, 0.0) + value
        if profiler:
            _common.print_profile(profiler, "day 1's import")
        return run

    days, first, again, mismatches = [], None, None, None
    for n in range(args.days):
        day = args.start + dt.timedelta(days=n)
        by_group = services.next_day()
        run = import_day(day, by_group, profile=args.profile and n == 0)
        days.append({"day": day.isoformat(), **run})
        if n == 0:
            first = run
            mismatches = _check_stored(day, by_group)
            again = import_day(day, by_group)
            print(f"Day 1 ({day}): {run['rows']:,} rows in {run['seconds']:.2f} s; again "
                  f"(unchanged) in {again['seconds']:.2f} s; {mismatches['differ']:,} stored "
                  "returns differ from the files' answers.", flush=True)
        elif (n + 1) % 10 == 0 or n + 1 == args.days:
            done = sum(d["seconds"] for d in days)
            print(f"Day {n + 1} ({day}): {run['seconds']:.2f} s; {n + 1} days, "
                  f"{sum(d['rows'] for d in days):,} rows in {done:.0f} s so far.", flush=True)
    imported_returns = Return.objects.count()
    history_model = Return.history.model
    imported_history = history_model.objects.count()
    sizes = _table_sizes(connection, [Return._meta.db_table, history_model._meta.db_table])

    plain = None
    if not args.no_plain:
        plain = _plain_insert(args, rows, connection)
    _common.report({
        "database": _common.database_label(args.database_url), "register": register,
        "first": first, "again": again, "mismatches": mismatches, "days": days,
        "returns": imported_returns, "history": imported_history, "sizes": sizes,
        "plain": plain, "load_average": os.getloadavg(),
        "peak_rss_mb": _common.peak_rss_mb(),
    })


def _check_stored(day: dt.date, by_group: dict) -> dict:
    """Compare the returns stored for `day` with the answers in the files."""
    from caresight.returns.models import Return

    stored = dict(Return.objects.filter(for_date=day).values_list("location_id", "values"))
    differ, example = 0, None
    for rows in by_group.values():
        for row, values in rows:
            if stored.get(row[0]) != values:
                differ += 1
                example = example or {"location": row[1], "file": values,
                                      "stored": stored.get(row[0])}
    if example:
        print(f"Warning: {differ} stored returns differ from the files; for example {example}")
    return {"compared": sum(len(rows) for rows in by_group.values()), "differ": differ}


def _plain_insert(args: argparse.Namespace, rows: list[tuple], connection) -> dict:
    """Empty the returns tables; time a plain write of the same rows, day by day."""
    from django.db import transaction
    from django.utils import timezone

    from caresight.returns import partitions
    from caresight.returns.models import Return
    from caresight.returns.selectors import measure_set_for

    history = Return.history.model
    tables = [Return._meta.db_table, history._meta.db_table]
    copying = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if copying:
            cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    how = "COPY" if copying else f"bulk_create(batch_size={args.batch_size})"
    print(f"Plain write: emptied {', '.join(tables)}; writing the same rows with {how}…",
          flush=True)
    services = Services(rows, seed=args.seed)
    now = timezone.now()
    seconds, count, per_day = 0.0, 0, []
    for n in range(args.days):
        day = args.start + dt.timedelta(days=n)
        by_group = services.next_day()
        partitions.ensure_for([day])
        spent = 0.0
        for group, group_rows in by_group.items():
            if not group_rows:
                continue
            measure_set = measure_set_for(service_type=TYPE_OF_GROUP[group], as_of=day)
            if copying:
                written = [(row[0], measure_set.pk, day, 1, json.dumps(values), "import", None,
                            now) for row, values in group_rows]
                began = time.perf_counter()
                _copy_day(connection, written, now)
            else:
                objs = [Return(location_id=row[0], measure_set=measure_set, for_date=day,
                               version=1, values=values, source=Return.Source.IMPORT,
                               submitted_by=None, submitted_at=now)
                        for row, values in group_rows]
                began = time.perf_counter()
                with transaction.atomic():
                    Return.objects.bulk_create(objs, batch_size=args.batch_size)
            spent += time.perf_counter() - began
            count += len(group_rows)
        seconds += spent
        per_day.append(spent)
        if (n + 1) % 30 == 0:
            print(f"Plain write: {n + 1} days, {count:,} rows in {seconds:.0f} s.", flush=True)
    return {"rows": count, "seconds": seconds, "first_day_seconds": per_day[0],
            "returns": Return.objects.count(), "how": "COPY" if copying else "bulk_create"}


RETURN_COLUMNS = ["id", "location_id", "measure_set_id", "for_date", "version", "values",
                  "source", "submitted_by_id", "submitted_at"]


def _copy_day(connection, written: list[tuple], now) -> None:
    """COPY one file's returns and their history rows ('+', now, no user), in one
    transaction; the IDs are drawn from the returns' sequence first."""
    from django.db import transaction

    from caresight.returns.models import Return

    qn = connection.ops.quote_name
    history = Return.history.model._meta.db_table
    columns = ", ".join(qn(c) for c in RETURN_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [Return._meta.db_table, len(written)])
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.copy(f"COPY {qn(Return._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, written, strict=True):
                copy.write_row((pk, *row))
        with cursor.copy(f"COPY {qn(history)} ({columns}, history_date, history_type) "
                         "FROM STDIN") as copy:
            for pk, row in zip(ids, written, strict=True):
                copy.write_row((pk, *row, now, "+"))


def _table_sizes(connection, tables: list[str]) -> dict[str, int] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        return {t: _common.table_bytes(cursor, t)[0] for t in tables}


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Returns import benchmark")
    worker_args = [
        "--locations", str(args.locations), "--community-every", str(args.community_every),
        "--days", str(args.days), "--start", args.start.isoformat(),
        "--batch-size", str(args.batch_size), "--providers", str(args.providers),
        "--seed", str(args.seed), "--sample", str(args.sample),
        *(["--no-plain"] if args.no_plain else []),
        *(["--keep-files", str(args.keep_files.resolve())] if args.keep_files else []),
        *(["--profile"] if args.profile else []),
    ]
    results = _common.run_on_each_database(Path(__file__).resolve(), args, worker_args,
                                           doing="importing day by day")
    if results:
        _print_results(results)


def _print_results(results: list[dict]) -> None:
    print()
    rows = []
    for res in results:
        days = res["days"]
        total_rows = sum(d["rows"] for d in days)
        total_seconds = sum(d["seconds"] for d in days)
        runs = [("day 1, empty table", res["first"]), ("day 1 again (unchanged)", res["again"])]
        for label, run in runs:
            c = run["counts"]
            rows.append([res["database"], label, f"{run['rows']:,}", f"{run['seconds']:.2f}",
                         f"{run['cpu_seconds']:.2f}", f"{run['rows'] / run['seconds']:,.0f}",
                         f"{c.get('created', 0):,}", f"{c.get('updated', 0):,}",
                         f"{c.get('unchanged', 0):,}"])
        created = sum(d["counts"].get("created", 0) for d in days)
        rows.append([res["database"], f"{len(days)} days", f"{total_rows:,}",
                     f"{total_seconds:.1f}", f"{sum(d['cpu_seconds'] for d in days):.1f}",
                     f"{total_rows / total_seconds:,.0f}", f"{created:,}",
                     f"{sum(d['counts'].get('updated', 0) for d in days):,}",
                     f"{sum(d['counts'].get('unchanged', 0) for d in days):,}"])
        plain = res["plain"]
        if plain:
            rows.append([res["database"], f"plain {plain['how']}, {len(days)} days",
                         f"{plain['rows']:,}", f"{plain['seconds']:.1f}", "",
                         f"{plain['rows'] / plain['seconds']:,.0f}", f"{plain['returns']:,}",
                         "", ""])
    _common.print_table(["database", "run", "rows", "seconds", "python cpu s", "rows/s",
                         "created", "updated", "unchanged"], rows)
    print()
    phase_names = list(dict.fromkeys(k for res in results for k in res["first"]["phases"]))
    _common.print_table(
        ["database", "day 1 phase (both files)", "seconds"],
        [[res["database"], name, f"{res['first']['phases'].get(name, 0.0):.2f}"]
         for res in results for name in phase_names])
    print()
    for res in results:
        days, first = res["days"], res["first"]
        per_day = [d["seconds"] for d in days]
        rate = sum(d["rows"] for d in days) / sum(per_day)
        verdict = "met" if first["seconds"] < TARGET_SECONDS else "MISSED"
        text = (f"{res['database']}: register of {res['register']['locations']:,} locations "
                f"({res['register']['community']:,} home care) loaded in "
                f"{res['register']['seconds']:.1f} s; files {first['bytes'] / 1e6:.1f} MB a "
                f"day. Day 1 into the empty table: {first['seconds']:.2f} s, target under "
                f"{TARGET_SECONDS:g} s: {verdict}. Over {len(days)} days: day 1 "
                f"{per_day[0]:.2f} s, median {statistics.median(per_day):.2f} s, last "
                f"{per_day[-1]:.2f} s, slowest {max(per_day):.2f} s; {rate:,.0f} rows/s (target "
                f"{TARGET_RATE:,}: {'met' if rate >= TARGET_RATE else 'MISSED'}).")
        plain = res["plain"]
        if plain:
            plain_rate = plain["rows"] / plain["seconds"]
            ratio = rate / plain_rate
            text += (f" Plain {plain['how']} of the same rows into the same tables: "
                     f"{plain_rate:,.0f} rows/s (day 1 {plain['first_day_seconds']:.2f} s); the "
                     f"import runs at {ratio:.2f} times its rate (target {TARGET_RATIO} times: "
                     f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}).")
        text += (f" Stored: {res['returns']:,} returns, {res['history']:,} history rows; "
                 f"{res['mismatches']['differ']:,} of {res['mismatches']['compared']:,} day-1 "
                 "returns differ from the files.")
        if res["sizes"]:
            text += " Table sizes: " + ", ".join(
                f"{t} {b / 1e9:.2f} GB" for t, b in res["sizes"].items()) + "."
        text += (f" Migrate {res['migrate_seconds']:.1f} s; worker peak memory "
                 f"{res['peak_rss_mb']:,.0f} MB; load average at the end "
                 f"{_common.loads(res['load_average'])}.")
        print(text)


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
