"""Backup codes are shown once and kept only as keyed hashes (patients.mfa): a copy of the
database signs no one in, a key rotation with the old key as a fallback keeps them working,
and the migration turns codes kept before into their digests."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from patients import services
from patients.mfa import BACKUP_DEVICE_NAME, backup_code_digests
from tests.auth.helpers import enrol

OLD_KEY = "old-" + "k3y!" * 15
NEW_KEY = "new-" + "k3y?" * 15


def kept(user) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def test_the_database_keeps_no_code_that_signs_in(bob, frozen):
    enrol(bob)
    codes = services.mfa_backup_codes_renew(user=bob)
    stored = kept(bob)

    stolen = services.mfa_code_verify(user=bob, code=sorted(stored)[0])
    frozen.shift(timedelta(minutes=1))  # past the slow-down the failure earned
    shown = services.mfa_code_verify(user=bob, code=codes[0])

    assert len(stored) == 10
    assert not stored & set(codes)
    assert stolen is None
    assert shown is not None
    assert kept(bob) == stored - {backup_code_digests(codes[0])[0]}


def test_codes_made_before_a_key_rotation_work_while_the_old_key_is_a_fallback(
    bob, settings, frozen
):
    enrol(bob)
    settings.SECRET_KEY = OLD_KEY
    codes = services.mfa_backup_codes_renew(user=bob)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]

    used = services.mfa_code_verify(user=bob, code=codes[0])
    again = services.mfa_code_verify(user=bob, code=codes[0])
    renewed = services.mfa_backup_codes_renew(user=bob)

    assert used is not None
    assert again is None
    assert kept(bob) == {backup_code_digests(code)[0] for code in renewed}
    assert backup_code_digests(renewed[0])[0] != backup_code_digests(renewed[0])[1]


def test_without_the_old_key_a_code_is_refused_and_counts_as_a_failure(bob, settings):
    enrol(bob)
    settings.SECRET_KEY = OLD_KEY
    codes = services.mfa_backup_codes_renew(user=bob)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []

    refused = services.mfa_code_verify(user=bob, code=codes[0])

    assert refused is None
    assert len(kept(bob)) == 10
    assert StaticDevice.objects.get(user=bob).throttling_failure_count == 1


def test_the_migration_keeps_the_digests_of_codes_kept_before_and_runs_twice_unchanged(bob):
    enrol(bob)
    device = StaticDevice.objects.create(user=bob, name=BACKUP_DEVICE_NAME, confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    migration = importlib.import_module("patients.migrations.0006_backup_codes_hashed")
    editor = SimpleNamespace(connection=connection)

    migration.keep_digests(apps, editor)
    once = kept(bob)
    migration.keep_digests(apps, editor)

    assert once == {backup_code_digests("abcd2345")[0]}
    assert kept(bob) == once
    assert services.mfa_code_verify(user=bob, code="ABCD-2345") == device
    assert kept(bob) == set()
