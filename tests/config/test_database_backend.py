"""config.postgresql: a kept connection is health-checked only after it has been idle."""

from collections.abc import Iterator

import pytest
from django.db import OperationalError, connection, connections

from config.postgresql.base import HEALTH_CHECK_AFTER_IDLE, DatabaseWrapper


@pytest.fixture
def kept() -> Iterator[DatabaseWrapper]:
    """A second connection to the test database, kept and checked as production keeps it."""
    wrapper = connections.create_connection("default")
    assert isinstance(wrapper, DatabaseWrapper)
    wrapper.settings_dict = {
        **wrapper.settings_dict,
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def the_database_drops(pid: int) -> None:
    """As a restart or failover does, for one connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])  # waits for it


def next_request(wrapper: DatabaseWrapper) -> None:
    """What Django does to a kept connection between two requests."""
    wrapper.close_if_unusable_or_obsolete()


@pytest.mark.django_db
def test_a_connection_idle_for_a_while_is_checked_and_a_dead_one_replaced(kept):
    before = backend_pid(kept)
    the_database_drops(before)
    kept.used_at -= HEALTH_CHECK_AFTER_IDLE + 0.1  # idle since

    next_request(kept)
    after = backend_pid(kept)

    assert after != before


@pytest.mark.django_db
def test_a_live_connection_is_kept_from_request_to_request(kept):
    before = backend_pid(kept)
    kept.used_at -= HEALTH_CHECK_AFTER_IDLE + 0.1

    next_request(kept)

    assert backend_pid(kept) == before


@pytest.mark.django_db
def test_a_connection_used_a_moment_ago_is_not_checked_again(kept):
    """No round trip: so a connection that dies within the second fails one request, and
    that failure closes it for the next one (Django's own handling of errors)."""
    before = backend_pid(kept)
    the_database_drops(before)

    next_request(kept)
    with pytest.raises(OperationalError):
        backend_pid(kept)
    next_request(kept)
    after = backend_pid(kept)

    assert after != before


def test_every_database_uses_this_backend():
    from django.conf import settings

    assert {db["ENGINE"] for db in settings.DATABASES.values()} == {"config.postgresql"}
