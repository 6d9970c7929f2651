"""caresight locality create — name one of an authority's sub-areas and the areas it covers."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from caresight.core.cli import add_authority_argument
from caresight.core.errors import refusal_text
from caresight.core.tenancy import OPERATOR
from caresight.registry import services


class Command(BaseCommand):
    help = "Create a locality; the authority's services are placed in it by postcode or district."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a locality")
        add_authority_argument(create, single=True, required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--district", action="append", default=[], metavar="CODE",
                            help="a lower-tier district's ONS code (E07…); repeat for more")
        create.add_argument("--postcode-district", action="append", default=[],
                            metavar="OUTCODE", help="a postcode district like PE13; repeat")

    def handle(self, *args, authority, name, district, postcode_district, **options):
        found = authority.authorities[0]
        try:
            locality = services.locality_create(
                authority=found, name=name, district_codes=district,
                postcode_districts=postcode_district, user=OPERATOR)
        except ValidationError as exc:
            raise CommandError(refusal_text(exc)) from exc
        count = locality.locations.count()
        self.stdout.write(self.style.SUCCESS(
            f"{locality} ({found}) covers {count} service{'' if count == 1 else 's'}."))
