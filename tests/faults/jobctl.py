"""The fault tests' helper, run as its own process against the database in DATABASE_URL.

    jobctl.py setup --locations N --day D --out DIR   register, users and Capacity Tracker files
    jobctl.py upload --file PATH --user EMAIL          queue a returns import (prints the job ID)
    jobctl.py confirm --job ID --user EMAIL            confirm a previewed job

It goes through the public entry points only: run_import("cqc") for the register (as the
benchmarks load it), accounts.services.user_create, and the job services an upload and its
confirmation call (import_job_create, import_job_confirm). The worker runs the jobs.
"""

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

PASSWORD = "Faults-tests-2020!"  # noqa: S105 (a throwaway database's users)


def setup(args: argparse.Namespace) -> None:
    import _common
    import returns_import

    from caresight.accounts.services import user_create
    from caresight.registry.models import Location

    _common.load_register(args.locations, providers=max(args.locations // 2, 1),
                          seed=args.seed, community_every=0)
    rows = list(Location.objects.order_by("pk").values_list(
        "pk", "cqc_location_id", "service_type", "registered_beds", "name", "authority__name",
        "authority__region__name"))
    rows = [row for row in rows if row[2] in returns_import.GROUP_OF_TYPE]
    services = returns_import.Services(rows, seed=args.seed)
    by_group = services.next_day()
    care_homes = by_group["care_home"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "all.csv").write_bytes(services.csv("care_home", args.day, care_homes))
    # The same rows the other way round: two imports then reach shared rows in opposite orders.
    (args.out / "reversed.csv").write_bytes(
        services.csv("care_home", args.day, care_homes[::-1]))

    codes = sorted(set(Location.objects.values_list("authority__ons_code", flat=True)))
    third = max(len(codes) // 3, 1)
    users = {
        "admin": ("admin@faults.test", "admin", codes),
        # Two commissioners whose authorities overlap in the middle third.
        "a": ("a@faults.test", "commissioner", codes[:2 * third]),
        "b": ("b@faults.test", "commissioner", codes[third:]),
    }
    for email, role, authority_codes in users.values():
        user_create(email=email, role=role, authority_codes=authority_codes,
                    organisation_name="Fault tests", password=PASSWORD)
    json.dump({"rows": len(care_homes), "authorities": len(codes),
               "users": {key: value[0] for key, value in users.items()},
               "overlap": codes[third:2 * third]}, sys.stdout)


def upload(args: argparse.Namespace) -> None:
    from caresight.accounts.models import User
    from caresight.core.services import import_job_create

    job = import_job_create(kind=args.kind, file_name=args.file.name,
                            data=args.file.read_bytes(),
                            user=User.objects.get(email=args.user))
    print(job.pk)


def confirm(args: argparse.Namespace) -> None:
    from caresight.accounts.models import User
    from caresight.core.models import Job
    from caresight.core.services import import_job_confirm

    job = import_job_confirm(job=Job.objects.get(pk=args.job),
                             user=User.objects.get(email=args.user))
    print(job.status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    one = sub.add_parser("setup")
    one.add_argument("--locations", type=int, required=True)
    one.add_argument("--day", type=dt.date.fromisoformat, required=True)
    one.add_argument("--seed", type=int, default=2021)
    one.add_argument("--out", type=Path, required=True)
    one = sub.add_parser("upload")
    one.add_argument("--kind", default="returns")
    one.add_argument("--file", type=Path, required=True)
    one.add_argument("--user", required=True)
    one = sub.add_parser("confirm")
    one.add_argument("--job", required=True)
    one.add_argument("--user", required=True)
    args = parser.parse_args()

    import django

    django.setup()
    {"setup": setup, "upload": upload, "confirm": confirm}[args.action](args)


if __name__ == "__main__":
    main()
