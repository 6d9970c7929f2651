"""Benchmark beds occupancy, the summary and the daily sitrep over a national install.

Target (issue 16): "A national install with 5,000 schemes and 200,000 placements: occupancy
for any date under 200 ms nationally and 20 ms for an authority; the sitrep download under
1 s."

The driver creates a fresh PostgreSQL database, runs `caresight migrate`, and starts one
worker process (this script with --worker) with DATABASE_URL set and DEBUG off. The worker:

1. loads a register of --locations generated CQC locations over the 154 current authorities
   (`_common.load_register`, every fifth a home care service);
2. bulk-creates (no services, no history: the bench builds rows directly) a council
   organisation per authority and --nhs-partners NHS partners, then --schemes bed schemes in
   the care homes (kinds, funding and rates mixed as in 2020; 2 to 40 beds, a block scheme
   10 to 30), each with its first capacity and a third of them a later rise, and
   --placements placements, planned bed by bed over the --days (a winter, 182) up to today
   so one person is in a bed at a time and no scheme is ever over-full; a bed's share of the
   placements follows its kind's usual stay (a step-down bed turns over three times as often
   as a pathway 2 bed), which gives stays close to the usual ones and about 85% of beds
   occupied on any day; most beds' last stay is still open today;
3. runs ANALYZE, and times (each --warmup untimed, then --repeat timed):
   - `beds.selectors.occupancy` as the operator, nationally and for the authority with the
     most schemes (`authority=`), for today and for a day half-way back;
   - the same for a commissioner of that authority (the user's own scope);
   - `beds.selectors.summary` (what `caresight summary beds` prints), nationally and for it;
   - occupancy with each scheme's row read as well, as the occupancy page's table does
     (no target: the figures are what the target names);
   - the sitrep download, `GET /beds/sitrep/?download=csv&as_of=…` through Django's test
     client signed in as an administrator of every authority, and of that authority.

    .venv/bin/python bench/beds.py --keep             # fill, time, keep the database (~3 min)
    .venv/bin/python bench/beds.py --reuse --keep     # time again on the same data
    .venv/bin/python bench/beds.py --reuse --show-sql --explain 2 --profile
    .venv/bin/python bench/beds.py --schemes 500 --placements 20000 --locations 3000  # quick
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_beds_bench"
NATIONAL_MS, AUTHORITY_MS, SITREP_MS = 200.0, 20.0, 1_000.0
PASSWORD = "bench-password-not-secret"

# kind: (weight, beds low/high, nights shortest/usual/longest, longest intended stay)
KINDS = {
    "designated_setting": (4, (4, 12), (10, 14, 18), 14),
    "step_down": (20, (2, 8), (8, 13, 20), 14),
    "pathway_2": (20, (2, 10), (12, 28, 50), 42),
    "crisis": (6, (1, 3), (3, 12, 30), 28),
    "block": (30, (4, 16), (20, 42, 100), None),
    "spot": (18, (1, 2), (10, 21, 45), 42),
    "other": (2, (1, 4), (7, 21, 60), None),
}
ENDED = 0.15  # the share of schemes that have ended
OPEN_LAST = 0.85  # the chance that a running scheme's bed has someone in it today
FUNDING = (("nhs_discharge", 55), ("council", 25), ("nhs_partner", 10),
           ("infection_control_fund", 7), ("other", 3))
DESTINATIONS = (("home_with_care", 50), ("care_home", 25), ("home", 10), ("readmitted", 8),
                ("died", 6), ("other", 1))
SITES = (("Cambridge University Hospitals NHS Foundation Trust", "Addenbrooke's Hospital"),
         ("North West Anglia NHS Foundation Trust", "Peterborough City Hospital"),
         ("North West Anglia NHS Foundation Trust", "Hinchingbrooke Hospital"),
         ("Bench Teaching Hospitals NHS Trust", "General Hospital"))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time beds occupancy (national and one authority), the beds summary and "
        "the sitrep download over a national install of bed schemes and placements, on "
        "PostgreSQL.")
    parser.add_argument("--locations", type=int, default=10_000,
                        help="generated CQC locations on the register (default 10000)")
    parser.add_argument("--schemes", type=int, default=5_000, help="bed schemes (5000)")
    parser.add_argument("--placements", type=int, default=200_000,
                        help="placements (default 200000)")
    parser.add_argument("--days", type=int, default=182,
                        help="days of placements up to today (default 182: a winter)")
    parser.add_argument("--nhs-partners", type=int, default=42,
                        help="NHS partner organisations commissioning beds (42)")
    parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    parser.add_argument("--repeat", type=int, default=15, help="timed calls per case (15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls first (2)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the database in place afterwards (for --reuse)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database if it exists (filled by an earlier --keep run, "
                        "on the same day) instead of filling a new one")
    parser.add_argument("--show-sql", action="store_true", help="print each case's SQL")
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="EXPLAIN ANALYZE each case's N slowest statements")
    parser.add_argument("--profile", action="store_true", help="cProfile one call of each")
    _common.add_database_arguments(parser, default_url=DEFAULT_URL, sqlite=None)
    _common.add_worker_arguments(parser)
    return parser.parse_args(argv)


def worker_arguments(args: argparse.Namespace) -> list[str]:
    out = ["--locations", str(args.locations), "--schemes", str(args.schemes),
           "--placements", str(args.placements), "--days", str(args.days),
           "--nhs-partners", str(args.nhs_partners), "--seed", str(args.seed),
           "--repeat", str(args.repeat), "--warmup", str(args.warmup),
           "--explain", str(args.explain)]
    return out + [flag for flag, on in (("--show-sql", args.show_sql),
                                        ("--profile", args.profile)) if on]


# --- Worker: the data ---------------------------------------------------------------------


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def fill(args: argparse.Namespace, connection) -> dict:
    """The register, organisations, schemes with their capacities, and placements."""
    from caresight.accounts.models import Organisation
    from caresight.beds.models import BedCapacity, BedScheme, Placement
    from caresight.beds.pseudonyms import nhs_number_hash
    from caresight.registry.models import Authority, Location

    rng = random.Random(args.seed + 16)
    began = time.perf_counter()
    register = _common.load_register(args.locations, seed=args.seed)
    print(f"Loaded {register['locations']:,} locations in {register['seconds']:.0f} s.",
          flush=True)
    filled_began = time.perf_counter()
    authorities = list(Authority.objects.filter(valid_to__isnull=True).order_by("pk"))
    councils = {a.pk: Organisation(name=f"Bench council {a.ons_code}", kind="council")
                for a in authorities}
    partners = [Organisation(name=f"Bench NHS partner {n + 1}", kind="nhs_partner")
                for n in range(args.nhs_partners)]
    Organisation.objects.bulk_create([*councils.values(), *partners])
    homes: dict[int, list[int]] = {}
    for pk, authority_id in (Location.objects.filter(
            service_type__in=["care_home", "care_home_nursing"]).order_by("pk")
            .values_list("pk", "authority_id")):
        homes.setdefault(authority_id, []).append(pk)
    with_homes = [a for a in authorities if homes.get(a.pk)]
    today = dt.date.today()
    first_day = today - dt.timedelta(days=args.days - 1)
    kinds = [(kind, spec[0]) for kind, spec in KINDS.items()]
    schemes, plans = [], []
    for n in range(args.schemes):
        authority = with_homes[n % len(with_homes)] if n < len(with_homes) else \
            rng.choice(with_homes)
        kind = _weighted(rng, kinds)
        _, (low, high), stay, longest = KINDS[kind]
        funding = _weighted(rng, FUNDING)
        nhs = funding in ("nhs_discharge", "nhs_partner")
        starts = first_day + dt.timedelta(days=rng.choice([0, 0, 0, rng.randrange(120)]))
        ends = starts + dt.timedelta(days=rng.randint(90, 300)) if rng.random() < ENDED \
            else None
        ends = ends if ends and ends < today else None
        beds = rng.randint(low, high)
        later = (rng.randint(30, 200), beds + rng.randint(1, 4)) if rng.random() < 0.33 else None
        if later and (starts + dt.timedelta(days=later[0]) > (ends or today)):
            later = None
        schemes.append(BedScheme(
            authority_id=authority.pk, name=f"Bench scheme {n + 1:05d}", kind=kind,
            location_id=rng.choice(homes[authority.pk]),
            payment_basis="spot" if kind == "spot" else "block",
            client_groups=["older_people"] + (["dementia"] if rng.random() < 0.4 else []),
            max_stay_days=longest, funding_source=funding,
            weekly_rate=f"{rng.randint(600, 1600)}.00",
            commissioned_by=rng.choice(partners) if nhs and partners else councils[authority.pk],
            starts_on=starts, ends_on=ends, cqc_assured_on=starts + dt.timedelta(days=3)
            if kind == "designated_setting" else None))
        plans.append((starts, ends, beds, later, stay, kind == "designated_setting"))
    BedScheme.objects.bulk_create(schemes, batch_size=2_000)
    capacities = []
    for scheme, (starts, _, beds, later, _, _) in zip(schemes, plans, strict=True):
        capacities.append(BedCapacity(scheme_id=scheme.pk, from_date=starts, beds=beds,
                                      note="Beds commissioned"))
        if later:
            capacities.append(BedCapacity(scheme_id=scheme.pk, beds=later[1],
                                          from_date=starts + dt.timedelta(days=later[0])))
    BedCapacity.objects.bulk_create(capacities, batch_size=5_000)
    # Each bed's days, from when it is there to the scheme's end (or today).
    beds_of = []  # (scheme index, bed number, from, to, share of the placements)
    for index, (starts, ends, beds, later, stay, designated) in enumerate(plans):
        # A designated setting takes people from the day after its CQC assurance.
        opens = starts + dt.timedelta(days=4 if designated else 0)
        closes = ends or today
        more = range(beds + 1, later[1] + 1) if later else range(0)
        for bed in [*range(1, beds + 1), *more]:
            there = starts + dt.timedelta(days=later[0]) if bed > beds else opens
            if closes > there:
                # Short stays turn a bed over more often: a share by days ÷ usual nights.
                beds_of.append((index, bed, there, closes, (closes - there).days / stay[1]))
    total_share = sum(share for *_, share in beds_of)
    rows, written, number, carry, stays_by_kind = [], 0, 0, 0.0, {}
    hashes = [nhs_number_hash(_nhs_number(rng)) for _ in range(2_000)]
    for index, bed, there, closes, share in beds_of:
        carry += args.placements * share / total_share
        count = int(carry + 1e-6)  # (the shares add up to the placements asked for)
        carry -= count
        span = (closes - there).days
        count = min(count, span)
        if not count:
            continue
        scheme = schemes[index]
        usual = plans[index][4][1]
        # Stays laid end to end: each a slice of the bed's days, most of it occupied, then a
        # gap. A running scheme's last stay is, as a rule, still going on today.
        slice_days = span / count
        for k in range(count):
            begin = int(k * slice_days)
            room = max(int((k + 1) * slice_days) - begin, 1)
            start = there + dt.timedelta(days=begin)
            nights = max(1, min(room, round(room * rng.uniform(0.7, 0.95))))
            end = start + dt.timedelta(days=nights)
            still_there = (k == count - 1 and closes == today and rng.random() < OPEN_LAST)
            if not still_there:
                stays_by_kind.setdefault(scheme.kind, []).append(nights)
            hospital = rng.random() < 0.85
            trust, site = rng.choice(SITES) if hospital else ("", "")
            number += 1
            rows.append(Placement(
                scheme_id=scheme.pk, bed_number=bed, person_reference=f"BN-{number:07d}",
                nhs_number_hash=rng.choice(hashes) if hospital and rng.random() < 0.3 else "",
                source="hospital" if hospital else "community", hospital_trust=trust,
                hospital_site=site, admitted_on=start,
                expected_discharge_on=start + dt.timedelta(days=scheme.max_stay_days or usual),
                discharged_on=None if still_there else end,
                destination="" if still_there else _weighted(rng, DESTINATIONS),
                covid_status="positive" if scheme.kind == "designated_setting" else
                rng.choice(["negative", "negative", "negative", "awaiting", "not_tested"]),
                pathway="2" if hospital else "na", funding_source=scheme.funding_source))
            if len(rows) >= 10_000:
                Placement.objects.bulk_create(rows)
                written += len(rows)
                rows = []
    Placement.objects.bulk_create(rows)
    written += len(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"register_seconds": register["seconds"], "locations": register["locations"],
            "schemes": len(schemes), "capacities": len(capacities), "beds": len(beds_of),
            "placements": written, "fill_seconds": time.perf_counter() - filled_began,
            "median_nights": {kind: statistics.median(nights)
                              for kind, nights in sorted(stays_by_kind.items())},
            "seconds": time.perf_counter() - began}


def _nhs_number(rng: random.Random) -> str:
    """A valid NHS number in the 999 range (never issued to a patient)."""
    while True:
        digits = [9, 9, 9] + [rng.randrange(10) for _ in range(6)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


# --- Worker: timing -----------------------------------------------------------------------


def _with_rows(**kw) -> dict:
    """occupancy() and its schemes' rows, as the occupancy page reads them for its table."""
    from caresight.beds import selectors

    found = selectors.occupancy(**kw)
    found["schemes"] = selectors.scheme_days(**kw)
    return found


def worker(args: argparse.Namespace) -> None:
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    _common.setup_django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from caresight.accounts.models import User
    from caresight.accounts.services import user_create
    from caresight.beds import selectors
    from caresight.beds.models import BedScheme, Placement
    from caresight.core.tenancy import OPERATOR
    from caresight.registry.models import Authority

    filled = None
    if not BedScheme.objects.exists():
        filled = fill(args, connection)
        print(f"Filled {filled['schemes']:,} schemes ({filled['beds']:,} beds) and "
              f"{filled['placements']:,} placements in {filled['fill_seconds']:.0f} s.",
              flush=True)
    else:
        print("Reusing the filled database.", flush=True)
    today = dt.date.today()
    past = today - dt.timedelta(days=args.days // 2)
    code = (BedScheme.objects.values("authority__ons_code").annotate(n=Count("pk"))
            .order_by("-n", "authority__ons_code").first()["authority__ons_code"])
    every = list(Authority.objects.filter(valid_to__isnull=True)
                 .values_list("ons_code", flat=True))

    def user(email: str, role: str, codes: list[str]):
        found = User.objects.filter(email=email).first()
        if found is None:
            found, _ = user_create(email=email, role=role, authority_codes=codes,
                                   organisation_name=f"Bench {role} {len(codes)}",
                                   password=PASSWORD)
        return found

    commissioner = user("commissioner@bench.example", "commissioner", [code])
    national_admin = user("admin@bench.example", "admin", every)
    authority_admin = user("admin-one@bench.example", "admin", [code])

    def call(fn, **kw):
        def run():
            # As a new request would: the user's scopes are worked out again each time.
            kw["user"].__dict__.pop("_caresight_scopes", None)
            return fn(**kw)
        return run

    def sitrep_download(who, day):
        client = Client()
        client.force_login(who)
        path = f"{reverse('beds:sitrep')}?download=csv&as_of={day.isoformat()}"

        def request():
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}: "
                                 f"{response.content[:300]!r}")
            return response
        return request, path

    cases = []
    for day, when in ((today, "today"), (past, f"{args.days // 2} days ago")):
        cases += [
            (f"occupancy, national, {when}", NATIONAL_MS,
             call(selectors.occupancy, user=OPERATOR, as_of=day)),
            (f"occupancy, {code} (operator, authority=), {when}", AUTHORITY_MS,
             call(selectors.occupancy, user=OPERATOR, as_of=day, authority=code)),
            (f"occupancy, {code} (its commissioner), {when}", AUTHORITY_MS,
             call(selectors.occupancy, user=commissioner, as_of=day)),
        ]
    cases += [
        ("occupancy and each scheme's row read (the page's table), national, today", None,
         call(_with_rows, user=OPERATOR, as_of=today)),
        (f"occupancy and each scheme's row read, {code} (its commissioner), today", None,
         call(_with_rows, user=commissioner, as_of=today)),
    ]
    cases += [
        ("summary, national, today", NATIONAL_MS,
         call(selectors.summary, user=OPERATOR, as_of=today)),
        (f"summary, {code}, today", AUTHORITY_MS,
         call(selectors.summary, user=OPERATOR, as_of=today, authority=code)),
    ]
    for who, label in ((national_admin, "national admin"), (authority_admin, f"admin of {code}")):
        request, path = sitrep_download(who, today)
        cases.append((f"sitrep download, {label}: GET {path}", SITREP_MS, request))
    results = []
    for label, target, fn in cases:
        times, cpu, result = _common.timed_calls(fn, repeat=args.repeat, warmup=args.warmup)
        sql = _common.sql_of(fn)
        if args.show_sql:
            _common.print_sql(label, sql)
        if args.explain:
            _common.explain_slowest(connection, label, sql, args.explain)
        if args.profile:
            _common.profile_call(fn, label, sorts=(("cumulative", 30), ("tottime", 20)))
        figures = ""
        if isinstance(result, dict) and "commissioned" in result:
            figures = (f"{result['commissioned']:,} commissioned, {result['occupied']:,} "
                       f"occupied, {result['free']:,} free")
            if "overstays" in result:
                figures += f", {result['overstays']:,} overstaying"
        elif hasattr(result, "content"):
            figures = f"{len(result.content):,} bytes"
        results.append({"label": label, "times_ms": times, "cpu_ms": cpu,
                        "queries": len(sql), "sql_ms": sum(ms for ms, _ in sql),
                        "target_ms": target, "figures": figures})
        print(f"{label}: median {statistics.median(times):.1f} ms", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    _common.report({
        "server": server, "filled": filled, "authority": code,
        "schemes": BedScheme.objects.count(), "placements": Placement.objects.count(),
        "authority_schemes": BedScheme.objects.filter(authority__ons_code=code).count(),
        "repeat": args.repeat, "results": results, "load_average": os.getloadavg(),
    })


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Beds benchmark")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    result = _common.run_on_postgres(Path(__file__).resolve(), args, worker_arguments(args))
    if result:
        _print_result(result)


def _print_result(res: dict) -> None:
    print(f"\nPostgreSQL (server {res['server']}): {res['schemes']:,} schemes, "
          f"{res['placements']:,} placements; {res['authority']} has "
          f"{res['authority_schemes']} schemes. Load average "
          f"{_common.loads(res['load_average'])}.")
    if res["filled"]:
        filled = res["filled"]
        print(f"Filled: {filled['locations']:,} locations in {filled['register_seconds']:.0f} "
              f"s; {filled['schemes']:,} schemes, {filled['capacities']:,} capacity rows, "
              f"{filled['beds']:,} beds, {filled['placements']:,} placements in "
              f"{filled['fill_seconds']:.0f} s.")
        print("Median nights of the discharged, by kind: " + ", ".join(
            f"{kind} {nights:g}" for kind, nights in filled["median_nights"].items()) + ".")
    rows = []
    for item in res["results"]:
        times = item["times_ms"]
        median = statistics.median(times)
        target = item["target_ms"]
        rows.append([item["label"], item["queries"], f"{item['sql_ms']:.1f}",
                     f"{statistics.median(item['cpu_ms']):.1f}", f"{median:.1f}",
                     f"{_common.percentile(times, 0.9):.1f}",
                     f"{target:.0f}" if target else "–",
                     ("met" if median < target else "MISSED") if target else ""])
    print()
    _common.print_table(["case", "queries", "SQL ms", "CPU ms", "median ms", "p90 ms",
                         "target ms", ""], rows)
    print()
    for item in res["results"]:
        if item["figures"]:
            print(f"  {item['label']}: {item['figures']}")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
