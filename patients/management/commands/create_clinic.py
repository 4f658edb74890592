"""``manage.py create_clinic NAME``: create a clinic, or say that it already exists."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.management.commands._common import validation_error_text
from patients.services import clinic_get_or_create


class Command(BaseCommand):
    help = "Create a clinic (does nothing if a clinic with that name exists)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The clinic's name, e.g. 'Riverside Pain Clinic'.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            clinic, created = clinic_get_or_create(name=options["name"])
        except ValidationError as exc:
            raise CommandError(
                f"Could not create the clinic:\n{validation_error_text(exc)}"
            ) from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f'Created clinic "{clinic.name}".'))
        else:
            self.stdout.write(f'Clinic "{clinic.name}" already exists; nothing changed.')
