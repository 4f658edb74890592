"""API throttling: per signed-in user and per client address, answering 429 with Retry-After.

The test settings raise both rates so the rest of the suite never trips them; these tests put
the real rates of ``config.settings.base`` (or small ones) back with ``override_settings``.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from config.settings import base
from tests.conftest import client_for

ME = "/api/v1/me/"
DOCS = "/api/v1/docs/"  # open to anonymous callers


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def rates(**scopes: str):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}
    )


def test_the_real_rates_are_two_a_second_per_user_and_ten_per_address():
    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "user": "120/min",
        "address": "600/min",
    }


def test_a_user_over_the_real_rate_gets_429_with_retry_after(alice):
    client = client_for(alice)
    with (
        rates(**base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
        time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False),
    ):
        statuses = [client.get(ME).status_code for _ in range(120)]
        over = client.get(ME)

    assert statuses == [200] * 120
    assert over.status_code == 429
    assert int(over["Retry-After"]) > 0
    assert over.json()["detail"].startswith("Request was throttled.")


def test_the_user_limit_follows_the_user_across_addresses(alice):
    client = client_for(alice)
    with rates(user="3/min", address="1000/min"):
        first = [client.get(ME, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(3)]
        fourth = client.get(ME, REMOTE_ADDR="10.0.0.99")

    assert first == [200, 200, 200]
    assert fourth.status_code == 429


def test_another_user_is_not_held_back_by_a_throttled_one(alice, erin):
    with rates(user="2/min", address="1000/min"):
        for _ in range(3):
            client_for(alice).get(ME, REMOTE_ADDR="10.0.0.1")
        erin_answer = client_for(erin).get(ME, REMOTE_ADDR="10.0.0.2")

    assert erin_answer.status_code == 200


def test_the_address_limit_counts_every_user_behind_one_address(alice, erin):
    with rates(user="1000/min", address="4/min"):
        alices = [client_for(alice).get(ME, REMOTE_ADDR="10.0.0.7").status_code for _ in range(2)]
        erins = [client_for(erin).get(ME, REMOTE_ADDR="10.0.0.7").status_code for _ in range(3)]
        elsewhere = client_for(erin).get(ME, REMOTE_ADDR="10.0.0.8")

    assert alices == [200, 200]
    assert erins == [200, 200, 429]
    assert elsewhere.status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(alice, erin):
    with rates(user="1000/min", address="2/min"):
        answers = [
            client_for(user)
            .get(ME, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
            .status_code
            for n, user in enumerate([alice, erin, alice])
        ]

    assert answers == [200, 200, 429]


def test_anonymous_callers_are_limited_by_address(db):
    with rates(user="2/min", address="1000/min"):
        answers = [Client().get(DOCS, REMOTE_ADDR="10.0.0.5").status_code for _ in range(3)]
        other = Client().get(DOCS, REMOTE_ADDR="10.0.0.6")

    assert answers == [200, 200, 429]
    assert other.status_code == 200


def test_pages_are_not_throttled_by_the_api_limits(alice):
    client = client_for(alice)
    with rates(user="1/min", address="1/min"):
        answers = [client.get("/today/").status_code for _ in range(3)]

    assert answers == [200, 200, 200]


# Behind a reverse proxy (config.security.ProxiedClientMiddleware) --------------------------


def test_behind_the_proxy_each_client_is_counted_by_its_own_address(alice, erin, settings):
    settings.TRUSTED_PROXIES = 1
    with rates(user="1000/min", address="2/min"):
        answers = [
            client_for(user)
            .get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.9, 192.0.2.{n}")
            .status_code
            for n, user in enumerate([alice, erin, alice])
        ]
        again = [
            client_for(erin)
            .get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.0")
            .status_code
            for _ in range(2)
        ]

    # Not the proxy's own address (10.0.0.1), not what the client wrote (203.0.113.9): the
    # address the proxy appended is counted.
    assert answers == [200, 200, 200]
    assert again == [200, 429]


def test_behind_the_proxy_the_audit_and_the_lockout_see_the_client(
    alice, bob, alice_team, settings
):
    from axes.models import AccessAttempt

    from patients.models import AuditEvent

    settings.TRUSTED_PROXIES = 1
    client_for(bob).get(
        f"/api/v1/patients/{alice.pk}/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.44"
    )
    Client().post(
        "/api/v1/auth/token/",
        {"email": alice.email, "password": "wrong password here"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.45",
    )

    assert AuditEvent.objects.filter(actor=bob).latest("at").ip_address == "192.0.2.44"
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.45"]


# The sliding window (config.throttles) -------------------------------------------------------


def test_the_limit_slides_with_the_window_rather_than_resetting_on_the_minute(alice):
    client = client_for(alice)
    with (
        rates(user="4/min", address="1000/min"),
        time_machine.travel(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC), tick=False) as clock,
    ):
        first = [client.get(ME) for _ in range(5)]
        # A new minute has begun, but three quarters of the four still count: one more.
        clock.move_to(datetime(2026, 3, 2, 9, 1, 15, tzinfo=UTC))
        quarter_past = [client.get(ME).status_code for _ in range(2)]
        # A quarter of them still counts, with the one just made: two more.
        clock.move_to(datetime(2026, 3, 2, 9, 1, 45, tzinfo=UTC))
        later = [client.get(ME).status_code for _ in range(3)]

    assert [answer.status_code for answer in first] == [200, 200, 200, 200, 429]
    # At 09:01:00 the four start to slide out; 09:01:00 is 30 s away.
    assert int(first[-1]["Retry-After"]) == 30
    assert quarter_past == [200, 429]
    assert later == [200, 200, 429]


def test_a_person_s_count_is_one_number_whatever_the_rate(alice):
    client = client_for(alice)
    with (
        rates(user="100000/min", address="100000/min"),
        time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False),
    ):
        for _ in range(30):
            client.get(ME)
        window = int(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC).timestamp() // 60)
        kept = cache.get(f"throttle_user_{alice.pk}:{window}")

    # DRF's own throttle keeps a list of 30 times here, rewritten on every request.
    assert kept == 30
