"""seed_demo enrols its clinicians in two-step sign-in and prints each otpauth URI, from
which a code is computed as scripts/smoke_run.py does (standard library only)."""

import importlib.util
import re
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine
from django.core.management import call_command

from patients.demo import DEMO_PASSWORD, demo_email
from tests.auth.helpers import TOKEN_URL

# The smoke test's own TOTP code, loaded from scripts/ (not a package).
_spec = importlib.util.spec_from_file_location(
    "smoke_run", Path(__file__).resolve().parents[2] / "scripts" / "smoke_run.py"
)
assert _spec is not None
assert _spec.loader is not None
smoke_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke_run)

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
URI = re.compile(r"otpauth://totp/\S+")


@pytest.fixture
def seeded(db):
    with time_machine.travel(NOW, tick=False):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()


def test_seed_demo_prints_an_otpauth_uri_under_each_clinician(seeded):
    lines = seeded.splitlines()
    for key in ("clinician1", "clinician2"):
        login = next(i for i, line in enumerate(lines) if demo_email(key) in line)
        uri = URI.search(lines[login + 1])
        assert uri, lines[login + 1]
        parts = urlsplit(uri.group(0))
        assert unquote(parts.path) == f"/Mitra:{demo_email(key)}"
        assert parse_qs(parts.query)["secret"][0]
    assert len(URI.findall(seeded)) == 2  # patients have none


def test_a_code_computed_from_the_printed_uri_signs_the_demo_clinician_in(seeded, api):
    secret = smoke_run.otpauth_secrets("Mitra is running at\n" + seeded)[demo_email("clinician1")]

    with time_machine.travel(NOW, tick=False):
        response = api.post(
            TOKEN_URL,
            {
                "email": demo_email("clinician1"),
                "password": DEMO_PASSWORD,
                "otp": smoke_run.totp(secret),
            },
            format="json",
        )

    assert response.status_code == 200, response.content
