"""caresight token create — an API token for a person or a machine client."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from caresight.accounts import services
from caresight.core.errors import refusal_text


class Command(BaseCommand):
    help = "Create an API token (replacing any earlier one) and print it."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token")
        create.add_argument("--email", required=True)

    def handle(self, *args, email, **options):
        try:
            token = services.token_create(email=email)
        except ValidationError as exc:
            raise CommandError(refusal_text(exc)) from exc
        self.stdout.write(token.key)
        self.stderr.write(f"Use it as the header  Authorization: Token {token.key}")
