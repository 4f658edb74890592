"""Password rules and hashing: 12+ characters, not common, not like the email; Argon2."""

import pytest
from argon2 import PasswordHasher
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher
from django.core.exceptions import ValidationError
from django.test import override_settings
from knox.models import AuthToken

from config.settings import base as base_settings
from patients.auth import token_create
from patients.hashers import MitraArgon2PasswordHasher
from patients.models import User

REAL_HASHERS = override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS)


@pytest.mark.parametrize(
    "password",
    [
        "short-pass1",  # 11 characters
        "password1234",  # common
        "123456789012345",  # common and numeric
        "alice.liddell.example",  # like the email
    ],
)
def test_weak_passwords_are_refused(password):
    person = User(email="alice.liddell@example.org")

    with pytest.raises(ValidationError):
        password_validation.validate_password(password, person)


def test_a_long_uncommon_password_unlike_the_email_is_accepted():
    person = User(email="alice.liddell@example.org")

    password_validation.validate_password("violet kettle harbour 42", person)


@REAL_HASHERS
def test_argon2_with_the_measured_parameters_hashes_new_passwords():
    hasher = get_hasher()

    assert isinstance(hasher, MitraArgon2PasswordHasher)
    assert hasher.algorithm == "argon2"
    assert hasher.memory_cost >= 19 * 1024  # KiB: at least 19 MiB
    assert identify_hasher(hasher.encode("a passphrase of length", hasher.salt())) is not None


@REAL_HASHERS
def test_an_older_argon2_hash_still_verifies_and_is_upgraded_at_sign_in(db):
    old = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=8)
    user = User.objects.create(email="old@example.org", role="patient")
    user.password = "argon2" + old.hash("an old passphrase here")
    user.save()

    assert user.check_password("an old passphrase here")

    user.refresh_from_db()
    assert f"m={MitraArgon2PasswordHasher.memory_cost}" in user.password
    assert check_password("an old passphrase here", user.password)


@REAL_HASHERS
def test_upgrading_a_hash_at_sign_in_is_not_a_password_change(db):
    old = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=8)
    user = User.objects.create(email="old@example.org", role="patient")
    user.password = "argon2" + old.hash("an old passphrase here")
    user.save()
    token_create(user)

    assert user.check_password("an old passphrase here")  # re-hashed and saved

    assert AuthToken.objects.filter(user=user).count() == 1
