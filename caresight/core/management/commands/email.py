"""caresight email — send what is due, or a test message, through the email layer."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from caresight.core import email
from caresight.core.errors import refusal_text
from caresight.core.models import EmailDelivery


class Command(BaseCommand):
    help = ("Send the email deliveries that are due (for a scheduler, every few minutes), or "
            "queue a test message.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        retry = sub.add_parser("retry", help="send every queued delivery whose wait is over "
                               "(and any left half-sent by a worker that stopped)")
        retry.add_argument("--limit", type=int, default=None,
                           help="send at most this many (the oldest first)")
        test = sub.add_parser("test", help="queue a test message to an address and send it")
        test.add_argument("--to", required=True, metavar="ADDRESS")
        sub.add_parser("status", help="how many deliveries are queued, sent and failed")

    def handle(self, *args, action, **options):
        if action == "retry":
            result = email.send_due(limit=options["limit"])
            self.stdout.write(str(result))
        elif action == "test":
            try:
                deliveries = email.queue_email(
                    to=[options["to"]], subject="Caresight test message", kind="test",
                    text="This is a test message from Caresight: its email works.")
            except ValidationError as exc:
                raise CommandError(refusal_text(exc)) from exc
            result = email.send_deliveries([d.pk for d in deliveries])
            delivery = EmailDelivery.objects.get(pk=deliveries[0].pk)
            self.stdout.write(f"{result}. {delivery.recipient}: {delivery.get_status_display()}"
                              + (f" ({delivery.last_error})" if delivery.last_error else ""))
        else:
            for value, label in EmailDelivery.Status.choices:
                count = EmailDelivery.objects.filter(status=value).count()
                self.stdout.write(f"{label}: {count}")
