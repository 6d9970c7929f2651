"""caresight user create — give a person a role over authorities."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from caresight.accounts import services
from caresight.accounts.models import Role
from caresight.core.cli import add_authority_argument
from caresight.core.errors import refusal_text
from caresight.registry.models import Provider


class Command(BaseCommand):
    help = "Create a user (or add a role to an existing one)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a user with a role")
        create.add_argument("--email", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        add_authority_argument(create, many=True, required=True,
                               help="where the role is held (a region or England: every "
                               "authority in it)")
        create.add_argument("--organisation", metavar="NAME", default="",
                            help="organisation the role is held through (created if new)")
        create.add_argument("--provider", metavar="CQC_PROVIDER_ID",
                            help="for provider users: their CQC provider ID")
        create.add_argument("--name", default="", help="the person's full name")
        create.add_argument("--password", help="set a password (otherwise use changepassword)")

    def handle(self, *args, email, role, authority, organisation, provider, name, password,
               **options):
        provider_obj = None
        if provider:
            provider_obj = Provider.objects.filter(cqc_provider_id=provider).first()
            if provider_obj is None:
                raise CommandError(f"No provider has the CQC ID {provider}.")
        try:
            user, membership = services.user_create(
                email=email, role=role, authority_codes=[found.code for found in authority],
                organisation_name=organisation, password=password, full_name=name,
                provider=provider_obj,
            )
        except ValidationError as exc:
            raise CommandError(refusal_text(exc)) from exc
        names = ", ".join(a.name for a in membership.authorities.all())
        self.stdout.write(self.style.SUCCESS(
            f"{user.email}: {membership.get_role_display()} at {membership.organisation} "
            f"for {names}"))
