"""``manage.py create_clinician``: add a clinician to a clinic, once."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.management.commands._common import clinic_named, validation_error_text
from patients.models import Clinic, User, normalize_email
from patients.services import clinician_create


class Command(BaseCommand):
    help = "Create a clinician account in a clinic (does nothing if it already exists there)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The name of an existing clinic.")
        parser.add_argument("--email", required=True, help="The clinician's login.")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="Display name, e.g. 'Dr Maya Okafor'.")
        parser.add_argument("--title", default="", help="Job title, e.g. 'Nurse practitioner'.")
        parser.add_argument(
            "--timezone", default="UTC", help="IANA zone of the morning digest, e.g. Europe/Rome."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = clinic_named(options["clinic"])
        email = normalize_email(options["email"])
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            self._already_exists(existing, clinic)
            return
        try:
            clinician = clinician_create(
                clinic=clinic,
                email=email,
                password=options["password"],
                display_name=options["name"],
                title=options["title"],
                timezone_name=options["timezone"],
            )
        except ValidationError as exc:
            raise CommandError(
                f"Could not create the clinician:\n{validation_error_text(exc)}"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(f'Created clinician {clinician.email} in "{clinic.name}".')
        )

    def _already_exists(self, user: User, clinic: Clinic) -> None:
        if not user.is_clinician:
            raise CommandError(f"{user.email} belongs to a {user.role}, not a clinician.")
        if user.clinic != clinic:
            raise CommandError(f'{user.email} is not a clinician of "{clinic.name}".')
        self.stdout.write(
            f'Clinician {user.email} already exists in "{clinic.name}"; nothing changed.'
        )
