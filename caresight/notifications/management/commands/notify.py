"""caresight notify run-daily [--date D] | send-digests — the notifications' daily work."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Notifications. run-daily: tell providers of returns due tomorrow and overdue "
            "(and the services' contacts on the register), agreements to sign and spend returns "
            "due, officers of ratings turned red and placing officers of overstays in beds; "
            "safe to run again the same day. "
            "send-digests: email each person who chose a daily digest what waits for them. "
            "`caresight scheduler` runs both at 07:00.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        daily = sub.add_parser("run-daily", help="the day's reminders and red ratings")
        daily.add_argument("--date", help="the day (YYYY-MM-DD; default today)")
        sub.add_parser("send-digests", help="send the daily digest emails now")

    def handle(self, *args, action: str, **options):
        from caresight.notifications import services

        if action == "send-digests":
            self.stdout.write(f"{services.send_digests()} digest email(s) queued.")
            return
        day = None
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date: {options['date']!r} is not a date; give one like "
                                   "2020-06-04.") from None
        counts = services.notifications_run_daily(day)
        labels = {"return_due": "returns due or overdue", "agreement_to_sign":
                  "agreements to sign", "spend_return_due": "spend returns due",
                  "rating_red": "ratings turned red", "bed_overstay": "overstays"}
        self.stdout.write("Notifications made: " + ", ".join(
            f"{counts[k]} {label}" for k, label in labels.items()) + ".")
