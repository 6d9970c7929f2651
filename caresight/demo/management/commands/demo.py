"""caresight demo — load the fictional demo area (once) and print the demo sign-ins."""

from django.core.management.base import BaseCommand, CommandError

from caresight.demo.demo import DemoError, demo_load


class Command(BaseCommand):
    help = (
        "Load a fictional joint area (Cambridgeshire and Peterborough with their CCG, about 240 "
        "care services) and print a demo sign-in for every role. Running it again changes nothing "
        "and prints the sign-ins again."
    )

    def handle(self, *args, **options):
        try:
            summary = demo_load(stdout=self.stdout)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(summary.message()))
