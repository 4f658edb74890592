"""Authenticator seeds are kept sealed (patients.sealed, patients.models.Authenticator): the
database holds no seed, codes still work, a key rotation with the old key as a fallback
loses nothing and seals again under the new key, the migration seals what was kept before
(and opens it again going back), and the admin never shows a seed."""

import importlib
import logging
from binascii import hexlify
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients import services
from patients.models import Authenticator
from patients.sealed import Unsealable, unseal
from tests.auth.helpers import code_at
from tests.conftest import client_for

OLD_KEY = "old-" + "s3al" * 15
NEW_KEY = "new-" + "s3al" * 15


def stored_key(device: TOTPDevice) -> str:
    return str(TOTPDevice.objects.values_list("key", flat=True).get(pk=device.pk))


def test_the_database_keeps_the_seed_sealed_and_codes_still_work(bob, frozen):
    device = services.mfa_totp_enrol(user=bob)
    seed = device.bin_key

    kept = stored_key(device)

    assert kept.startswith("s1:")
    assert len(kept) <= TOTPDevice._meta.get_field("key").max_length
    assert hexlify(seed).decode() not in kept
    assert len(seed) == 20
    assert services.mfa_code_verify(user=bob, code=code_at(seed.hex())) == device


def test_a_rotation_with_the_old_key_as_a_fallback_seals_again_under_the_new_key(
    bob, settings, frozen
):
    settings.SECRET_KEY = OLD_KEY
    device = services.mfa_totp_enrol(user=bob)
    seed = device.bin_key
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]

    accepted = services.mfa_code_verify(user=bob, code=code_at(seed.hex()))
    settings.SECRET_KEY_FALLBACKS = []
    frozen.shift(timedelta(seconds=30))

    assert accepted == device
    assert unseal(stored_key(device)) == (seed, True)
    assert services.mfa_code_verify(user=bob, code=code_at(seed.hex())) == device


def test_without_the_old_key_a_code_is_refused_and_the_reason_logged(bob, settings, caplog):
    settings.SECRET_KEY = OLD_KEY
    device = services.mfa_totp_enrol(user=bob)
    code = code_at(device.bin_key.hex())
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []

    with caplog.at_level(logging.ERROR, logger="patients.services"):
        refused = services.mfa_code_verify(user=bob, code=code)

    assert refused is None
    assert "SECRET_KEY_FALLBACKS" in caplog.text
    with pytest.raises(Unsealable):
        unseal(stored_key(device))


def test_the_migration_seals_seeds_kept_before_and_opens_them_going_back(bob, frozen):
    plain = TOTPDevice.objects.create(user=bob, name="Phone", confirmed=True)
    seed_hex = plain.key
    migration = importlib.import_module("patients.migrations.0007_authenticator_sealed")
    editor = SimpleNamespace(connection=connection)

    migration.seal_seeds(apps, editor)
    sealed = stored_key(plain)
    migration.seal_seeds(apps, editor)
    sealed_twice = stored_key(plain)
    accepted = services.mfa_code_verify(user=bob, code=code_at(seed_hex))
    migration.open_seeds(apps, editor)

    assert sealed.startswith("s1:")
    assert sealed_twice == sealed
    assert accepted is not None
    assert stored_key(plain) == seed_hex


def test_the_admin_shows_no_seed_and_no_qr_code(bob, frozen):
    bob.is_staff = bob.is_superuser = True
    bob.save(update_fields=["is_staff", "is_superuser"])
    client = client_for(bob)
    device = Authenticator.objects.get(user=bob)

    change = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    qr_code = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/")

    assert change.status_code == 200
    assert stored_key(device) not in change.content.decode()
    assert qr_code.status_code == 403
