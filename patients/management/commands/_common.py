"""Helpers the account commands share."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from patients.models import Clinic


def validation_error_text(exc: ValidationError) -> str:
    """A service's ValidationError as readable lines: ``field: message``."""
    if hasattr(exc, "error_dict"):
        return "\n".join(
            f"  {field}: {message}"
            for field, messages in exc.message_dict.items()
            for message in messages
        )
    return "\n".join(f"  {message}" for message in exc.messages)


def clinic_named(name: str) -> Clinic:
    clinic = Clinic.objects.filter(name=name.strip()).first()
    if clinic is None:
        raise CommandError(
            f'There is no clinic named "{name}". Create it first: manage.py create_clinic "{name}"'
        )
    return clinic
