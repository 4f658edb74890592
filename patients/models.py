import uuid
from binascii import unhexlify
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.sealed import is_sealed, seal, unseal
from patients.validators import validate_timezone


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("role", Role.CLINICIAN)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


def normalize_email(email: str) -> str:
    """Emails are the login and are compared case-insensitively: store them lower-cased."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. The id is the one every API endpoint uses for them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    display_name = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Clinic administrators: may use the Django admin."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def profile(self) -> "PatientProfile | ClinicianProfile | None":
        return getattr(self, f"{self.role}_profile", None)

    @property
    def clinic(self) -> "Clinic | None":
        profile = self.profile
        return profile.clinic if profile is not None else None


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class PatientProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="patient_profile",
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="IANA name"
    )
    date_of_birth = models.DateField(null=True, blank=True)
    journal_version = models.PositiveBigIntegerField(
        default=0,
        db_default=0,  # rows written in bulk outside the ORM (benchmarks) start at 0 too
        editable=False,
        help_text="Raised with every change to the patient's entries, flags or reviews: the "
        "triage summary computed at an older version is stale (journals.triage).",
    )

    def __str__(self) -> str:
        return str(self.user)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_now(self) -> datetime:
        return timezone.now().astimezone(self.zone)


class ClinicianProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="clinician_profile",
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clinicians")
    title = models.CharField(max_length=120, blank=True)
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="IANA name"
    )
    digest_enabled = models.BooleanField(
        default=True, help_text="A morning email when there are new flags or silent patients."
    )

    def __str__(self) -> str:
        return str(self.user)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CareTeamMembership(models.Model):
    """A clinician on a patient's care team, and the patient's consent to share with them.

    The clinician may see the patient only while the membership is active (not ended by the
    clinic), consent stands (not revoked by the patient), and both belong to the same clinic.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_teams"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caseload"
    )
    consent_granted_at = models.DateTimeField(default=timezone.now)
    consent_revoked_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the clinic takes the clinician off the team."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "clinician"], name="care_team_unique"),
            models.CheckConstraint(
                condition=~models.Q(patient=models.F("clinician")), name="care_team_not_self"
            ),
        ]
        indexes = [models.Index(fields=["clinician", "patient"])]

    def __str__(self) -> str:
        return f"{self.clinician} → {self.patient}"

    @property
    def consent_active(self) -> bool:
        return self.consent_revoked_at is None

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Invitation(models.Model):
    """A clinician's invitation for a patient to join Mitra and their care team.

    The link carries a signed token of the invitation id, so nothing secret is stored;
    it works once (``accepted_at``) and until ``expires_at``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )

    def __str__(self) -> str:
        return f"Invitation {self.id}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and timezone.now() < self.expires_at


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Signed out"
    CONSENT_CHANGE = "consent_change", "Changed consent"
    FLAG_ACKNOWLEDGED = "flag_acknowledged", "Acknowledged a flag"
    FLAG_RESOLVED = "flag_resolved", "Resolved a flag"


class AuditEvent(models.Model):
    """Who did what to which patient's record, when, from where. Rows are only ever added:
    a database trigger (migration 0004) refuses UPDATE and DELETE.

    Both people are PROTECT: a user with an audit history cannot be deleted (deactivate them
    instead), so deleting a user never needs to touch an audit row, which the trigger would
    refuse anyway. ``actor`` is empty for a failed sign-in to an unknown account (nothing
    identifying about it is kept) and for changes made outside a request (commands).
    ``patient`` is empty for events about no patient (sign-in, export).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_actions",
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # A journal entry's answers before and after a change (None: created / deleted).
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-at"]),
            models.Index(fields=["actor", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.object_type} of {self.patient_id}"

    @property
    def object_label(self) -> str:
        """What the event was about, in the patient's words ("a sleep diary")."""
        return AUDIT_OBJECT_LABELS.get(self.object_type, "your record")


# ``AuditEvent.object_type`` values, as a patient reads them in their access log.
AUDIT_OBJECT_LABELS = {
    "patient": "your record",
    "painentry": "a pain entry",
    "pegassessment": "a weekly pain check",
    "sleepentry": "a sleep diary",
    "useentry": "a use entry",
    "flag": "a safety flag",
    "review": "a review of your journal",
    "summary": "a visit summary of your journal",
    "export_csv": "your journal, as a spreadsheet file",
    "export_fhir": "your journal, as a health record file",
    "thresholds": "your safety flag settings",
    "patientthresholds": "your safety flag settings",
    "careteammembership": "your care team",
}


class Authenticator(TOTPDevice):
    """django-otp's TOTP device with its seed sealed in the key column (patients.sealed):
    the one the code uses. django-otp's own TOTPDevice would read the column as hex."""

    key: str  # django-otp's CharField, which carries no type of its own

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        return unseal(self.key)[0]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not is_sealed(self.key):  # a new device: django-otp's default key is hex
            self.key = seal(unhexlify(self.key))
        super().save(*args, **kwargs)

    def reseal_if_stale(self) -> None:
        """After a key rotation: seal again under SECRET_KEY what a fallback key opened."""
        seed, under_current_key = unseal(self.key)
        if not under_current_key:
            self.key = seal(seed)
            self.save(update_fields=["key"])
