"""The people every test can name (CONVENTIONS.md):

- alice, a patient of Riverside clinic; bob, the clinician on her care team;
- carol, a Riverside clinician not on her team; dave, a clinician of Hillside clinic;
- erin, another Riverside patient, also on bob's team.
"""

import pytest
from rest_framework.test import APIClient

from patients.models import CareTeamMembership, Clinic, User
from tests.factories import ClinicFactory, ClinicianFactory, MembershipFactory, PatientFactory


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
    return client
