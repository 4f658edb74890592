"""Sign-in helpers for the tests: an authenticator's code, computed as a phone would."""

import hashlib
import hmac
import re
import struct
import time

from patients.models import Authenticator, User
from tests.factories import PASSWORD

SIGNIN_URL = "/signin/"
CODE_URL = "/signin/code/"
SETUP_URL = "/signin/setup/"
TOKEN_URL = "/api/v1/auth/token/"


def code_at(key_hex: str, at: float | None = None, step: int = 30) -> str:
    """RFC 6238 (HMAC-SHA1, 6 digits) from the device's hex key, at a moment (default now)."""
    counter = int(time.time() if at is None else at) // step
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{number:06d}"


def enrol(user: User) -> Authenticator:
    """A confirmed authenticator for ``user``, as if set up earlier."""
    return Authenticator.objects.create(user=user, name="Phone", confirmed=True)


def current_code(device: Authenticator) -> str:
    return code_at(device.bin_key.hex())


def password_step(client, email: str, password: str = PASSWORD, **extra):
    return client.post(SIGNIN_URL, {"username": email, "password": password}, **extra)


def normalized(html: bytes, *typed: str) -> str:
    """A page's HTML without what legitimately differs: the CSRF token, the email typed."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html.decode())
    for value in typed:
        text = text.replace(value, "TYPED")
    return text
