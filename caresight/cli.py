"""The `caresight` command: Django's management commands with Caresight's own help first."""

import os
import sys

OVERVIEW = """\
caresight — oversight of a council's care market and its outbreak response

Usage: caresight COMMAND [options]        (caresight COMMAND --help for details)

Getting started
  migrate                       create or update the database tables
  demo                          load the fictional demo area and print demo sign-ins
  runserver 127.0.0.1:8000      serve the pages and API for development
  db_worker                     run background work (imports, emails, reports) as it is queued

Register
  import cqc PATH               import CQC locations (JSON, JSON lines, CSV or XLSX)
  export locations --format csv|json|xlsx|ods [--authority CODE] [--output FILE]
  locality create --authority CODE --name NAME [--district CODE] [--postcode-district PE13]

Provider returns
  import returns PATH           import a Capacity Tracker care home or community export
  export returns [--from DATE] [--to DATE] [--authority CODE] [--format F] [--output FILE]
  summary returns --as-of DATE [--previous DATE] [--authority CODE] [--format json]
  current_returns check|rebuild compare the kept current state (each service's latest
                                return, read for today's figures) with the returns / remake it
  returns_partitions [--ahead N] [--dry-run]   PostgreSQL: make the coming months'
                                partitions, drop those past CARESIGHT_RETURNS_RETENTION_MONTHS
                                (the scheduler runs it daily at 03:30)

Outbreaks and the risk log
  import outbreaks PATH         import a public health line list (CSV or XLSX)
  summary outbreaks --as-of DATE [--since DATE] [--authority CODE] [--format json]
  export outbreaks [--from DATE] [--to DATE] [--authority CODE] [--format F] [--output FILE]
  export risk-log [--to DATE] [--authority CODE] [--format csv|xlsx|…] [--output FILE]
  risk save-log [--as-of DATE] [--authority CODE]   keep the day's risk log as distributed
  risk refresh [--as-of DATE] [--authority CODE]    keep the worked-out risk logs current

Infection Control Fund
  grants allocate --authority CODE --template icf-2020-round-1|icf-2020-round-2
                  --amount 1751000.00 --eligibility-date DATE [--format json]
                                what-if allocation (writes nothing)
  grants create …same options… [--contingency POUNDS]   make the round
  grants confirm --round ID     confirm the round's allocation (once)
  grants pay --round ID --instalment N [--as-of DATE] [--output FILE]
                                confirm a payment run and write the finance CSV
  summary grants --round ID [--format json]   the return to government and reconciliation

Plans, risks and decisions
  import action-plan PATH --into PLAN_ID [--dry-run]   a plan's actions from a spreadsheet
  export action-plan|winter-plan|risk-register|decisions|business-cases|workforce
      [--to DATE] [--from DATE] [--authority CODE] [--format F] [--output FILE]

Beds and hospital discharge
  import bed-schemes|placements PATH [--dry-run]   existing bed lists and placements
  export beds|placements --as-of DATE [--authority CODE] [--format F] [--output FILE]
  summary beds --as-of DATE [--authority CODE] [--format json]
                                commissioned, occupied and free beds, by kind, overstays

Reports
  report build highlight|committee|outbreak-update --authority CODE --as-of DATE
      [--from DATE] --format html|pdf|docx --output FILE   from the live figures
  report publish …same report options…   build it and keep it, frozen (once per period)
  report send …same report options… [--to ADDRESS …]   email a published report
  scheduler [--once]            build and email the scheduled reports when due, and run the
                                daily notifications at 07:00

People and access
  user create --email E --role R --authority CODE [--organisation NAME]
  token create --email E        create an API token for a person or machine client
  changepassword EMAIL          set a user's password

Email
  email retry [--limit N]       send the emails that are due (run it from a scheduler)
  email test --to ADDRESS       send a test message and say what the mail server answered
  email status                  how many emails are waiting, sent and failed

Notifications
  notify run-daily [--date DATE]  returns due and overdue, agreements to sign, spend returns
                                due, ratings turned red, overstays (the scheduler runs it at
                                07:00)
  notify send-digests           email the daily digests now

--authority CODE: an authority's ONS code, a region's (E12…) or england.

The database is SQLite (caresight.sqlite3) unless DATABASE_URL names another, e.g.
  DATABASE_URL=postgres://user@host:5432/caresight caresight migrate

Every Django command is also available: caresight help --all
"""


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help") or args == ["help"]:
        sys.stdout.write(OVERVIEW)
        return
    if args[:2] == ["help", "--all"]:
        args = ["help"]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["caresight", *args])


if __name__ == "__main__":
    main()
