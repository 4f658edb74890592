"""``manage.py create_patient``: add a patient to a clinic, once, and to a care team."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.management.commands._common import clinic_named, validation_error_text
from patients.models import CareTeamMembership, Clinic, Role, User, normalize_email
from patients.services import care_team_add, patient_create
from patients.validators import validate_timezone


class Command(BaseCommand):
    help = "Create a patient account in a clinic (does nothing if it already exists there)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The name of an existing clinic.")
        parser.add_argument("--email", required=True, help="The patient's login.")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="Display name, e.g. 'Alex Morgan'.")
        parser.add_argument(
            "--clinician", default=None, help="Email of a clinician of the same clinic."
        )
        parser.add_argument(
            "--timezone", default="UTC", help="IANA time zone name, e.g. Europe/Berlin."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = clinic_named(options["clinic"])
        timezone_name: str = options["timezone"]
        try:
            validate_timezone(timezone_name)
        except ValidationError as exc:
            raise CommandError(f'"{timezone_name}": {" ".join(exc.messages)}') from exc
        clinician = _clinician_of(clinic, options["clinician"])
        email = normalize_email(options["email"])
        existing = User.objects.filter(email__iexact=email).first()
        if existing is None:
            self._create(clinic=clinic, email=email, clinician=clinician, options=options)
        else:
            self._already_exists(existing, clinic, clinician)

    def _create(
        self, *, clinic: Clinic, email: str, clinician: User | None, options: dict[str, Any]
    ) -> None:
        try:
            patient = patient_create(
                clinic=clinic,
                email=email,
                password=options["password"],
                display_name=options["name"],
                timezone_name=options["timezone"],
                clinician=clinician,
            )
        except ValidationError as exc:
            raise CommandError(
                f"Could not create the patient:\n{validation_error_text(exc)}"
            ) from exc
        team = f", on the care team of {clinician.email}" if clinician else ""
        self.stdout.write(
            self.style.SUCCESS(f'Created patient {patient.email} in "{clinic.name}"{team}.')
        )

    def _already_exists(self, user: User, clinic: Clinic, clinician: User | None) -> None:
        if not user.is_patient:
            raise CommandError(f"{user.email} belongs to a {user.role}, not a patient.")
        if user.clinic != clinic:
            raise CommandError(f'{user.email} is not a patient of "{clinic.name}".')
        self.stdout.write(f'Patient {user.email} already exists in "{clinic.name}".')
        if clinician is not None:
            self._ensure_care_team(user, clinician)

    def _ensure_care_team(self, patient: User, clinician: User) -> None:
        membership = CareTeamMembership.objects.filter(patient=patient, clinician=clinician).first()
        if membership is not None and not membership.consent_active:
            # The patient withdrew consent: a setup script must not grant it back for them.
            self.stdout.write(
                self.style.WARNING(
                    f"{patient.email} has withdrawn consent for {clinician.email}; left as it is."
                )
            )
            return
        if membership is not None and membership.is_active:
            self.stdout.write(f"{clinician.email} is already on the care team; nothing changed.")
            return
        care_team_add(patient=patient, clinician=clinician)
        self.stdout.write(self.style.SUCCESS(f"Added {clinician.email} to the care team."))


def _clinician_of(clinic: Clinic, email: str | None) -> User | None:
    if email is None:
        return None
    clinician = User.objects.filter(
        email__iexact=normalize_email(email),
        role=Role.CLINICIAN,
        clinician_profile__clinic=clinic,
    ).first()
    if clinician is None:
        raise CommandError(f'{email} is not a clinician of "{clinic.name}".')
    return clinician
