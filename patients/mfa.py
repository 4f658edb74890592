"""Two-step sign-in: who needs it, their devices, and the QR code that sets one up.

Clinicians and clinic staff always sign in with a code from an authenticator app (TOTP,
RFC 6238) after their password; a patient does once they have set it up in Settings.
Backup codes (django-otp's static device) each work once, for a lost phone. They are shown
once and kept only as keyed hashes (``backup_code_digests``), and authenticator seeds are kept
sealed (``patients.models.Authenticator``): a copy of the database holds nothing that makes a
code.
"""

import io
from base64 import b32encode

import segno
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice

from patients.models import Authenticator, Role, User
from patients.sealed import secret_keys

TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10
BACKUP_CODE_SALT = "mitra.patients.mfa.backup-code"


def required_by_role(user: User) -> bool:
    """Clinicians and clinic staff may not sign in without a second step."""
    return bool(user.role == Role.CLINICIAN or user.is_staff or user.is_superuser)


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user=user, confirmed=True).exists()


def needs_second_factor(user: User) -> bool:
    """True when signing in takes a code: by role, or because the person set it up."""
    return required_by_role(user) or has_second_factor(user)


def backup_codes_left(user: User) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device is not None else 0


def backup_code_digests(code: str) -> list[str]:
    """What a backup code is kept as: an HMAC of it under SECRET_KEY, then under each of
    SECRET_KEY_FALLBACKS, so codes made before a key rotation work while the old key is kept
    as a fallback. Sixteen base32 characters (80 bits), as django-otp's token column holds."""
    return [
        b32encode(salted_hmac(BACKUP_CODE_SALT, code, secret=key, algorithm="sha256").digest())
        .decode()[:16]
        .lower()
        for key in secret_keys()
    ]


def backup_code_as_kept(device: StaticDevice, code: str) -> str:
    """The form of ``code`` this device keeps, to hand to django-otp's own check (which uses
    the code up, or counts a failure): its digest under whichever key made it."""
    digests = backup_code_digests(code)
    kept = device.token_set.filter(token__in=digests).values_list("token", flat=True).first()
    return kept or digests[0]


def normalize_code(code: str) -> str:
    """People type codes with spaces or dashes ("123 456", "ab12-cd34"); ignore them."""
    return "".join(ch for ch in code if ch.isalnum()).lower()


def is_app_code(code: str) -> bool:
    """Six digits come from the app; anything else is tried as a backup code."""
    return len(code) == 6 and code.isdigit()


def secret_text(device: Authenticator) -> str:
    """The key as people type it into an app without a camera: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, drawn here: no image service, no script."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        scale=5,
        border=4,
        dark="#000",
        light="#fff",  # a light quiet zone, so the code scans on the dark theme too
        svgclass="qr-code",
        lineclass=None,
        title="QR code to set up your authenticator app",
    )
    return out.getvalue().decode()
