"""Secrets the database keeps sealed: authenticator seeds (``patients.models.Authenticator``).

AES-256-GCM under a key derived (HKDF-SHA256) from SECRET_KEY, opened with SECRET_KEY or any
of SECRET_KEY_FALLBACKS, so a copy of the database alone gives no one's codes, and a key
rotation that keeps the old key as a fallback loses nothing. A sealed value is ``s1:`` and
the URL-safe base64 of nonce, ciphertext and tag: 67 characters for a 20-byte seed.
"""

import os
from base64 import urlsafe_b64decode, urlsafe_b64encode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "s1:"
PURPOSE = b"mitra.patients.authenticator-seed"
NONCE_BYTES = 12


class Unsealable(Exception):
    """No configured key opens the value: SECRET_KEY changed without the old one being kept in
    SECRET_KEY_FALLBACKS (docs/DEPLOY.md)."""


def secret_keys() -> tuple[str, ...]:
    """SECRET_KEY, then the earlier keys still accepted (SECRET_KEY_FALLBACKS): what the
    seeds here and the backup codes' digests (patients.mfa) are checked under, in order."""
    return (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)


def _cipher(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret.encode()
    )
    return AESGCM(key)


def seal(secret: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    box = _cipher(settings.SECRET_KEY).encrypt(nonce, secret, PURPOSE)
    return PREFIX + urlsafe_b64encode(nonce + box).decode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def unseal(value: str) -> tuple[bytes, bool]:
    """(the secret, whether SECRET_KEY itself sealed it rather than a fallback)."""
    raw = urlsafe_b64decode(value.removeprefix(PREFIX))
    nonce, box = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for index, secret in enumerate(secret_keys()):
        try:
            return _cipher(secret).decrypt(nonce, box, PURPOSE), index == 0
        except InvalidTag:
            continue
    raise Unsealable
