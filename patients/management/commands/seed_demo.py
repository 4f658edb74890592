"""``manage.py seed_demo``: load the demo clinic once, then print its logins."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patients.demo import (
    DEMO_CLINIC,
    DEMO_PASSWORD,
    PERSONAS,
    demo_logins,
    demo_otpauth_uris,
    demo_seed,
)
from patients.management.commands._common import validation_error_text


class Command(BaseCommand):
    help = (
        f'Create "{DEMO_CLINIC}": two clinicians, {len(PERSONAS)} patients and 90 days of '
        "journals each. Does nothing if it already exists. Prints the demo logins, with the "
        "otpauth URI of each clinician's two-step sign-in."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo_seed(now=timezone.now())
        except ValidationError as exc:
            raise CommandError(
                f"Could not load the demo data (nothing was saved):\n{validation_error_text(exc)}"
            ) from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f'Created "{DEMO_CLINIC}" with demo journals.'))
        else:
            self.stdout.write("Demo data already loaded.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        uris = demo_otpauth_uris()
        for role, email in demo_logins():
            self.stdout.write(f"  {role:<9}  {email}  {DEMO_PASSWORD}")
            if email in uris:
                # Add it to an authenticator app (or compute the code from its secret).
                self.stdout.write(f"{'':13}two-step code from: {uris[email]}")
