"""Writes about people: accounts, care teams, consent and invitations."""

import uuid

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from patients.models import (
    CareTeamMembership,
    Clinic,
    ClinicianProfile,
    Invitation,
    PatientProfile,
    Role,
    User,
    normalize_email,
)
from patients.validators import validate_timezone

INVITATION_SALT = "mitra.invitation"


def clinic_get_or_create(*, name: str) -> tuple[Clinic, bool]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["A clinic needs a name."]})
    return Clinic.objects.get_or_create(name=name)


def _new_user(*, email: str, password: str, role: str, display_name: str) -> User:
    email = normalize_email(email)
    user = User(email=email, role=role, display_name=display_name.strip())
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if User.objects.filter(email__iexact=email).exists():
        errors.setdefault("email", []).append("An account with this email already exists.")
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
@transaction.atomic
def clinician_create(
    *,
    clinic: Clinic,
    email: str,
    password: str,
    display_name: str = "",
    title: str = "",
    timezone_name: str = "UTC",
) -> User:
    _check_timezone(timezone_name)
    user = _new_user(email=email, password=password, role=Role.CLINICIAN, display_name=display_name)
    ClinicianProfile.objects.create(user=user, clinic=clinic, title=title, timezone=timezone_name)
    return user


def _check_timezone(name: str) -> None:
    try:
        validate_timezone(name)
    except ValidationError as exc:
        raise ValidationError({"timezone": exc.messages}) from exc


@transaction.atomic
def patient_create(
    *,
    clinic: Clinic,
    email: str,
    password: str,
    display_name: str = "",
    timezone_name: str = "UTC",
    clinician: User | None = None,
) -> User:
    _check_timezone(timezone_name)
    user = _new_user(email=email, password=password, role=Role.PATIENT, display_name=display_name)
    PatientProfile.objects.create(user=user, clinic=clinic, timezone=timezone_name)
    if clinician is not None:
        care_team_add(patient=user, clinician=clinician)
    return user


def care_team_add(*, patient: User, clinician: User) -> CareTeamMembership:
    """Put a clinician on a patient's care team (idempotent). Consent is granted when the
    membership is made; only the patient can restore consent they withdrew."""
    if patient.role != Role.PATIENT or clinician.role != Role.CLINICIAN:
        raise ValidationError("A care team joins a patient and a clinician.")
    if patient.patient_profile.clinic_id != clinician.clinician_profile.clinic_id:
        raise ValidationError("The clinician and the patient belong to different clinics.")
    membership, created = CareTeamMembership.objects.get_or_create(
        patient=patient, clinician=clinician
    )
    if not created and membership.ended_at is not None:
        # Back on the team; a consent the patient withdrew stays withdrawn.
        membership.ended_at = None
        membership.save(update_fields=["ended_at"])
    return membership


def care_team_revoke(*, membership: CareTeamMembership) -> CareTeamMembership:
    """The patient withdraws consent: the clinician's very next request is refused."""
    if membership.consent_revoked_at is None:
        membership.consent_revoked_at = timezone.now()
        membership.save(update_fields=["consent_revoked_at"])
    return membership


def care_team_restore(*, membership: CareTeamMembership) -> CareTeamMembership:
    membership.consent_revoked_at = None
    membership.consent_granted_at = timezone.now()
    membership.save(update_fields=["consent_revoked_at", "consent_granted_at"])
    return membership


def invitation_create(*, clinician: User, email: str) -> Invitation:
    """Record an invitation and send its email after the transaction commits."""
    from patients.tasks import invitation_send_task

    now = timezone.now()
    invitation = Invitation.objects.create(
        email=normalize_email(email),
        clinician=clinician,
        clinic=clinician.clinician_profile.clinic,
        created_at=now,
        expires_at=now + settings.INVITATION_TTL,
    )
    invitation_send_task.delay_on_commit(str(invitation.id))  # type: ignore[attr-defined]
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.id), salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("invitation-accept", kwargs={"token": invitation_token(invitation)})
    return f"{settings.SITE_URL}{path}"


def invitation_send(*, invitation_id: uuid.UUID | str) -> bool:
    """Send the invitation email once. Returns False if it was already sent or is unusable."""
    claimed = Invitation.objects.filter(
        pk=invitation_id, sent_at__isnull=True, accepted_at__isnull=True
    ).update(sent_at=timezone.now())
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("clinician", "clinic").get(pk=invitation_id)
    inviter = invitation.clinician.display_name or "Your clinician"
    try:
        send_mail(
            subject=f"{invitation.clinic.name} invites you to Mitra",
            message=(
                f"Hello,\n\n{inviter} at {invitation.clinic.name} invites you to keep your "
                "journal in Mitra and share it with your care team.\n\n"
                "Set your password here (the link works once, for 7 days):\n"
                f"{invitation_url(invitation)}\n\n"
                "If you did not expect this, you can ignore this email.\n"
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:
        # Release the claim so a retry sends it.
        Invitation.objects.filter(pk=invitation_id).update(sent_at=None)
        raise
    return True


def invitation_from_token(token: str) -> Invitation | None:
    """The usable invitation a link names, or None (bad, expired or already used)."""
    try:
        invitation_id = signing.loads(token, salt=INVITATION_SALT, max_age=settings.INVITATION_TTL)
    except signing.BadSignature:
        return None
    invitation = (
        Invitation.objects.select_related("clinician__clinician_profile", "clinic")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, password: str, display_name: str = "", timezone_name: str = "UTC"
) -> User:
    """Create the invited patient's account and put them on the inviting clinician's team.

    Claimed with a conditional update, so a link used twice at once makes one account.
    """
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not claimed:
        raise ValidationError("This invitation has already been used.")
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is None:
        patient = patient_create(
            clinic=invitation.clinic,
            email=invitation.email,
            password=password,
            display_name=display_name,
            timezone_name=timezone_name,
            clinician=invitation.clinician,
        )
    else:
        patient = _existing_patient_joins(invitation=invitation, user=existing, password=password)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=patient)
    return patient


def _existing_patient_joins(*, invitation: Invitation, user: User, password: str) -> User:
    """Someone who already has an account proves it with their password to join the team."""
    if not user.check_password(password):
        raise ValidationError(
            {"password": ["You already have an account: enter your current password."]}
        )
    if user.role != Role.PATIENT or user.patient_profile.clinic_id != invitation.clinic_id:
        raise ValidationError(
            "This invitation cannot be used with your account. Please contact your clinic."
        )
    membership = care_team_add(patient=user, clinician=invitation.clinician)
    if not membership.consent_active:
        care_team_restore(membership=membership)  # accepting the invitation is consent
    return user


@transaction.atomic
def profile_update(
    *, user: User, display_name: str | None = None, timezone_name: str | None = None
) -> User:
    if timezone_name is not None:
        if not user.is_patient:
            raise ValidationError({"timezone": ["Only patients have a journal time zone."]})
        validate_timezone(timezone_name)
        user.patient_profile.timezone = timezone_name
        user.patient_profile.save(update_fields=["timezone"])
    if display_name is not None:
        user.display_name = display_name.strip()
        user.save(update_fields=["display_name"])
    return user
