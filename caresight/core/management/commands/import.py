"""caresight import KIND PATH — check a file, then import it all or nothing.

The kinds are the imports the apps register (core.imports); nothing here names one.
"""

import getpass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from caresight.core.imports import importers, run_import
from caresight.core.progress import TerminalProgress
from caresight.core.tenancy import OPERATOR


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        return "Import a file: " + "; ".join(
            f"{kind} ({importer.label})" for kind, importer in sorted(importers().items())) + "."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(importers()), help="what the file holds")
        parser.add_argument("path", type=Path, help="the file to import")
        parser.add_argument("--dry-run", action="store_true",
                            help="check the file and report what would change; write nothing")
        parser.add_argument("--user", metavar="EMAIL",
                            help="import as this user: named in the audit, and only into the "
                            "authorities where they may import (default: every authority)")
        parser.add_argument("--into", metavar="ID", default="",
                            help="for an import into one record (action-plan: the plan's ID)")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, kind, path, dry_run, user, no_progress, into, **options):
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        size = path.stat().st_size
        if size > settings.CARESIGHT_MAX_IMPORT_BYTES:
            # Refused before it is read: the same limit as an upload.
            raise CommandError(f"{path} is {size / 1_000_000:,.0f} MB; the most an import reads "
                               f"is {settings.CARESIGHT_MAX_IMPORT_BYTES / 1_000_000:,.0f} MB.")
        actor = OPERATOR
        if user:
            actor = get_user_model().objects.filter(email=user.lower()).first()
            if actor is None:
                raise CommandError(f"No user has the email address {user}.")
        progress = TerminalProgress(disable=no_progress)
        result = run_import(
            kind, data=path.read_bytes(),
            file_name=f"{path.name} (command line, {getpass.getuser()})",
            user=actor, dry_run=dry_run, progress=progress, target=into,
        )
        progress.finish()
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
