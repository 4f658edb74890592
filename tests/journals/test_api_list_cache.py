"""A patient's own list read again unchanged comes from the cache (issue #8); any change to
their journal shows at once, and no one else is ever answered from it."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from journals.models import PainEntry
from patients.audit import AuditEvent
from patients.auth import token_create
from tests.conftest import client_for
from tests.journals.helpers import KINDS, make_entry, own_url, pain_body, patient_url

pytestmark = pytest.mark.usefixtures("frozen_now")

PAIN = own_url("pain-entries")


def with_token(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user)[1]}")
    return client


def listed(client, url=PAIN):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json(), len(queries.captured_queries)


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_page_again_is_read_with_the_token_alone(alice, kind):
    for day in (1, 2, 3):
        make_entry(kind, alice, date(2026, 3, day))
    client = with_token(alice)

    first, first_queries = listed(client, own_url(kind))
    again, again_queries = listed(client, own_url(kind))

    assert again == first
    assert first["count"] == 3
    assert first_queries == 3  # the token and its person, the count, the page
    assert again_queries == 1


def test_an_entry_added_changed_or_deleted_shows_at_once(alice):
    client = with_token(alice)
    assert listed(client)[0]["count"] == 0

    created = client.post(PAIN, pain_body(intensity=6), format="json").json()
    page, _ = listed(client)
    assert [(e["id"], e["intensity"]) for e in page["results"]] == [(created["id"], 6)]

    client.patch(own_url("pain-entries", created["id"]), {"intensity": 2}, format="json")
    assert [e["intensity"] for e in listed(client)[0]["results"]] == [2]

    client.delete(own_url("pain-entries", created["id"]))
    assert listed(client)[0]["count"] == 0


def test_a_change_made_outside_the_api_shows_too(alice):
    """The web pages and the admin save through the ORM, which raises the version too."""
    client = with_token(alice)
    entry = make_entry("pain-entries", alice, date(2026, 3, 1))
    listed(client)

    PainEntry.objects.filter(pk=entry.pk).get().delete()

    assert listed(client)[0]["count"] == 0


def test_another_patient_asking_the_same_url_gets_their_own_page(alice, erin):
    alices_entry = make_entry("pain-entries", alice, date(2026, 3, 1))
    erins_entry = make_entry("pain-entries", erin, date(2026, 3, 1))  # the same version
    alices, _ = listed(with_token(alice))

    erins, _ = listed(with_token(erin))

    assert [e["id"] for e in alices["results"]] == [str(alices_entry.pk)]
    assert [e["id"] for e in erins["results"]] == [str(erins_entry.pk)]


def test_each_page_and_filter_is_kept_apart(alice):
    for day in range(1, 6):
        make_entry("pain-entries", alice, date(2026, 3, day))
    client = with_token(alice)

    whole, _ = listed(client)
    second, _ = listed(client, f"{PAIN}?page_size=2&page=2")
    one_day, _ = listed(client, f"{PAIN}?since=2026-03-02&until=2026-03-02")

    assert len(whole["results"]) == 5
    assert [e["id"] for e in second["results"]] == [e["id"] for e in whole["results"][2:4]]
    assert one_day["count"] == 1


def test_a_bad_filter_is_still_a_400_after_a_good_page(alice):
    client = with_token(alice)
    listed(client)

    response = client.get(f"{PAIN}?since=not-a-date")

    assert response.status_code == 400


def test_a_new_time_zone_moves_the_local_days_a_filter_means(alice):
    make_entry("pain-entries", alice, date(2026, 3, 1), hour=0, minute=30)  # Berlin
    client = with_token(alice)
    first_of_march = f"{PAIN}?since=2026-03-01&until=2026-03-01"
    assert listed(client, first_of_march)[0]["count"] == 1

    profile = alice.patient_profile
    profile.timezone = "America/Chicago"  # 17:30 on 28 February there
    profile.save(update_fields=["timezone"])

    assert listed(client, first_of_march)[0]["count"] == 0


def test_a_clinicians_read_is_never_cached_and_always_audited(alice, bob, alice_team):
    make_entry("pain-entries", alice, date(2026, 3, 1))
    client = with_token(bob)
    url = patient_url(alice.pk, "pain-entries")

    first, first_queries = listed(client, url)
    again, again_queries = listed(client, url)

    assert again == first
    assert again_queries == first_queries
    assert AuditEvent.objects.filter(actor=bob, patient=alice, object_type="painentry").count() == 2


def test_without_a_token_the_page_is_read_afresh(alice):
    """A session's (or a test's) person may carry an older version: no cache then."""
    client = client_for(alice)
    listed(client)

    make_entry("pain-entries", alice, date(2026, 3, 1))

    assert listed(client)[0]["count"] == 1
