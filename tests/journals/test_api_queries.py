"""List endpoints run the same number of queries for 1 entry as for 30 (CONVENTIONS.md)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.journals.helpers import KINDS, make_entry, own_url, patient_url

pytestmark = pytest.mark.usefixtures("frozen_now")


def queries_for(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.json()["count"]


def add_entries(kind, patient, how_many, start):
    for offset in range(how_many):
        make_entry(kind, patient, start + timedelta(days=offset))


@pytest.mark.parametrize("kind", KINDS)
def test_a_patients_list_runs_as_many_queries_for_30_entries_as_for_1(alice, kind):
    client = client_for(alice)
    add_entries(kind, alice, 1, date(2026, 1, 1))
    with_one, listed = queries_for(client, own_url(kind))
    assert listed == 1

    add_entries(kind, alice, 29, date(2026, 1, 2))
    with_thirty, listed = queries_for(client, own_url(kind))

    assert listed == 30
    assert with_thirty == with_one


@pytest.mark.parametrize("kind", KINDS)
def test_a_clinicians_list_runs_as_many_queries_for_30_entries_as_for_1(
    alice, bob, alice_team, kind
):
    client = client_for(bob)
    add_entries(kind, alice, 1, date(2026, 1, 1))
    with_one, listed = queries_for(client, patient_url(alice.id, kind))
    assert listed == 1

    add_entries(kind, alice, 29, date(2026, 1, 2))
    with_thirty, listed = queries_for(client, patient_url(alice.id, kind))

    assert listed == 30
    assert with_thirty == with_one


@pytest.mark.parametrize("kind", KINDS)
def test_a_filtered_list_runs_as_many_queries_as_an_unfiltered_one(alice, kind):
    client = client_for(alice)
    add_entries(kind, alice, 30, date(2026, 1, 1))

    plain, _ = queries_for(client, own_url(kind))
    filtered, listed = queries_for(client, own_url(kind) + "?since=2026-01-05&until=2026-01-20")

    assert listed == 16
    assert filtered == plain
