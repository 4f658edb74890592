"""Writes about people: accounts, care teams, consent and invitations."""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import SESSION_KEY, password_validation
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from knox.models import AuthToken

from config.celery import publish_on_commit
from patients import audit
from patients.mfa import (
    BACKUP_CODE_COUNT,
    BACKUP_DEVICE_NAME,
    TOTP_DEVICE_NAME,
    backup_code_as_kept,
    backup_code_digests,
    is_app_code,
    normalize_code,
)
from patients.models import (
    AuditAction,
    Authenticator,
    CareTeamMembership,
    Clinic,
    ClinicianProfile,
    Invitation,
    PatientProfile,
    Role,
    User,
    normalize_email,
)
from patients.sealed import Unsealable
from patients.validators import validate_timezone

INVITATION_SALT = "mitra.invitation"

logger = logging.getLogger(__name__)


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
    with transaction.atomic():
        membership, created = CareTeamMembership.objects.get_or_create(
            patient=patient, clinician=clinician
        )
        if created:
            _audit_consent(membership, before=None)
        elif membership.ended_at is not None:
            # Back on the team; a consent the patient withdrew stays withdrawn.
            before = _consent_state(membership)
            membership.ended_at = None
            membership.save(update_fields=["ended_at"])
            _audit_consent(membership, before=before)
    return membership


def _consent_state(membership: CareTeamMembership) -> dict[str, object]:
    return {
        "clinician": str(membership.clinician_id),
        "on_care_team": membership.is_active,
        "consent": membership.consent_active,
    }


def _audit_consent(
    membership: CareTeamMembership, *, before: dict[str, object] | None, by_patient: bool = False
) -> None:
    """Consent and care-team changes; the patient's own when they revoke or restore."""
    audit.audit_change(
        action=AuditAction.CONSENT_CHANGE,
        actor=membership.patient if by_patient else None,
        patient_id=membership.patient_id,
        obj=membership,
        before=before,
        after=_consent_state(membership),
    )


def care_team_revoke(*, membership: CareTeamMembership) -> CareTeamMembership:
    """The patient withdraws consent: the clinician's very next request is refused."""
    if membership.consent_revoked_at is None:
        before = _consent_state(membership)
        membership.consent_revoked_at = timezone.now()
        with transaction.atomic():
            membership.save(update_fields=["consent_revoked_at"])
            _audit_consent(membership, before=before, by_patient=True)
    return membership


def care_team_restore(*, membership: CareTeamMembership) -> CareTeamMembership:
    before = _consent_state(membership)
    membership.consent_revoked_at = None
    membership.consent_granted_at = timezone.now()
    with transaction.atomic():
        membership.save(update_fields=["consent_revoked_at", "consent_granted_at"])
        _audit_consent(membership, before=before, by_patient=True)
    return membership


# The task that sends an invitation's email, by its stable name (``patients.tasks``).
INVITATION_SEND_TASK = "patients.tasks.invitation_send_task"


def invitation_create(*, clinician: User, email: str) -> Invitation:
    """Record an invitation and send its email after the transaction commits."""
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=normalize_email(email),
        clinician=clinician,
        clinic=clinician.clinician_profile.clinic,
        created_at=now,
        expires_at=now + settings.INVITATION_TTL,
    )
    publish_on_commit(INVITATION_SEND_TASK, str(invitation.id))
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
@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    timezone_name: str | None = None,
    digest_enabled: bool | None = None,
) -> User:
    """What a person may change about themself: their name, their time zone (a patient's
    days and reminders, a clinician's morning digest), and a clinician's digest switch."""
    profile = user.profile
    if profile is None:
        raise ValidationError("This account has no profile to change.")
    if timezone_name is not None:
        _check_timezone(timezone_name)
        profile.timezone = timezone_name
        profile.save(update_fields=["timezone"])
    if digest_enabled is not None:
        if not isinstance(profile, ClinicianProfile):
            raise ValidationError({"digest_enabled": ["Only clinicians get the morning digest."]})
        profile.digest_enabled = digest_enabled
        profile.save(update_fields=["digest_enabled"])
    if display_name is not None:
        user.display_name = display_name.strip()
        user.save(update_fields=["display_name"])
    return user


# Sign-in (issue #6): two-step devices, backup codes, ending sessions ------------------------

WRONG_CODE = (
    "That code did not work. Check that your phone's clock is right and use the newest code."
)


def mfa_setup_start(*, user: User) -> Authenticator:
    """The authenticator someone is setting up: made once, kept until confirmed."""
    device = Authenticator.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = Authenticator.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def mfa_totp_enrol(*, user: User) -> Authenticator:
    """An authenticator confirmed at once, for accounts a command makes (the demo's): the
    command hands its otpauth URI over, in place of the QR code and first code."""
    Authenticator.objects.filter(user=user).delete()
    return Authenticator.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)


def mfa_setup_confirm(*, device: Authenticator, code: str) -> list[str]:
    """Confirm a new authenticator with a first code from it; return new backup codes.

    The code is checked as at sign-in, so it cannot be used again. Any older authenticator
    of the person is removed: one phone at a time. The backup codes are shown once.
    """
    with transaction.atomic():
        device = Authenticator.objects.select_for_update().get(pk=device.pk)
        accepted = not device.confirmed and device.verify_token(normalize_code(code))
    if not accepted:  # outside the transaction, so the device's throttle count is kept
        raise ValidationError({"code": [WRONG_CODE]})
    with transaction.atomic():
        Authenticator.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return mfa_backup_codes_renew(user=device.user)


SEED_UNSEALABLE = (
    "An authenticator's seed opens with neither SECRET_KEY nor SECRET_KEY_FALLBACKS: was the "
    "key changed without keeping the old one as a fallback? (docs/DEPLOY.md)"
)


def mfa_code_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts this code, else None.

    Six digits are checked against the authenticator: each code works once (django-otp
    keeps the time step of the last one used, so a replay is refused) and failures slow
    further tries down. Anything else is tried as a backup code, which is then used up.
    """
    code = normalize_code(code)
    with transaction.atomic():
        if not is_app_code(code):
            backups = StaticDevice.objects.filter(user=user, confirmed=True)
            for backup in backups.select_for_update():
                if backup.verify_token(backup_code_as_kept(backup, code)):
                    return backup
            return None
        devices = Authenticator.objects.filter(user=user, confirmed=True)
        for device in devices.select_for_update():
            try:
                accepted = device.verify_token(code)
            except Unsealable:
                logger.error(SEED_UNSEALABLE)
                continue
            if accepted:
                device.reseal_if_stale()
                return device
    return None


@transaction.atomic
def mfa_backup_codes_renew(*, user: User) -> list[str]:
    """A fresh set of single-use backup codes, to show once; only their digests are kept.
    The old ones stop working."""
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_digests(code)[0]) for code in codes
    )
    return codes


@transaction.atomic
def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Sign someone out everywhere (but the session kept): every session and API token.

    Sessions do not index their user, so the live ones are read and decoded: fine for a
    clinic's few thousand, and only on a password change, a deactivation or a request.
    Returns how many sessions ended.
    """
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.session_key != keep_session_key
        and session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    AuthToken.objects.filter(user=user).delete()
    return len(ended)
