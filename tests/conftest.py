"""The people every test can name (CONVENTIONS.md):

- alice, a patient of Riverside clinic; bob, the clinician on her care team;
- carol, a Riverside clinician not on her team; dave, a clinician of Hillside clinic;
- erin, another Riverside patient, also on bob's team.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from patients.auth import MFA_REQUIRED
from patients.mfa import needs_second_factor
from patients.models import Authenticator, CareTeamMembership, Clinic, User
from tests.factories import ClinicFactory, ClinicianFactory, MembershipFactory, PatientFactory
from tests.integration.processes import RedisServer, use_broker


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """The default cache (throttle counters, patients' list pages) is per process and would
    outlive the test's database rows; every test starts without it."""
    yield
    cache.clear()


@pytest.fixture
def riverside(db: None) -> Clinic:
    return ClinicFactory(name="Riverside")


@pytest.fixture
def hillside(db: None) -> Clinic:
    return ClinicFactory(name="Hillside")


@pytest.fixture
def alice(riverside: Clinic) -> User:
    return PatientFactory(
        email="alice@example.org", display_name="Alice", clinic=riverside, timezone="Europe/Berlin"
    )


@pytest.fixture
def erin(riverside: Clinic) -> User:
    return PatientFactory(
        email="erin@example.org", display_name="Erin", clinic=riverside, timezone="America/Chicago"
    )


@pytest.fixture
def bob(riverside: Clinic) -> User:
    return ClinicianFactory(email="bob@example.org", display_name="Dr Bob", clinic=riverside)


@pytest.fixture
def carol(riverside: Clinic) -> User:
    return ClinicianFactory(email="carol@example.org", display_name="Dr Carol", clinic=riverside)


@pytest.fixture
def dave(hillside: Clinic) -> User:
    return ClinicianFactory(email="dave@example.org", display_name="Dr Dave", clinic=hillside)


@pytest.fixture
def alice_team(alice: User, bob: User) -> CareTeamMembership:
    return MembershipFactory(patient=alice, clinician=bob)


@pytest.fixture
def erin_team(erin: User, bob: User) -> CareTeamMembership:
    return MembershipFactory(patient=erin, clinician=bob)


class Client(APIClient):
    """Speaks JSON to the API and posts forms to pages, as a browser does."""

    def post(self, path, data=None, format=None, *args, **kwargs):
        if format is None and not path.startswith("/api/"):
            format = "multipart"
        return super().post(path, data, format, *args, **kwargs)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User | None) -> APIClient:
    """A client signed in as ``user`` (anonymous when None): JSON to the API, forms to pages."""
    client = Client()
    if user is not None:
        client.force_authenticate(user)  # the API
        client.force_login(user)  # pages
        if needs_second_factor(user):
            pass_second_step(client, user)
    return client


def pass_second_step(client: APIClient, user: User) -> Authenticator:
    """Mark a signed-in client's session as through the code step (tests/auth tests the step
    itself), with the person's authenticator, made if they have none."""
    device = Authenticator.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = Authenticator.objects.create(user=user, name="Test app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[MFA_REQUIRED] = True
    session.save()
    return device


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start; this process's Celery
    app talks to it until the test ends (fault tests in tests/integration, tests/security)."""
    server = RedisServer(tmp_path)
    server.start()
    with use_broker(server.url):
        try:
            yield server
        finally:
            server.stop()
