"""Who reaches which journal entries: a patient only their own, a clinician read-only and
only for the patients on whose care team they are (issue 2 §4, role first, then scope)."""

import uuid
from datetime import date

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.journals.helpers import (
    KINDS,
    MODELS,
    count,
    ids,
    make_entry,
    own_url,
    patient_url,
    valid_body,
)

pytestmark = pytest.mark.usefixtures("frozen_now")


def row(kind, entry):
    return MODELS[kind]._default_manager.values().get(pk=entry.pk)


# A patient and other patients' entries --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_patients_list_never_shows_another_patients_entries(alice, erin, kind):
    own = make_entry(kind, alice, date(2026, 3, 1))
    make_entry(kind, erin, date(2026, 3, 1))

    response = client_for(alice).get(own_url(kind))

    assert ids(response) == [str(own.id)]
    assert response.json()["count"] == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_patient_retrieving_another_patients_entry_gets_404(alice, erin, kind):
    erins = make_entry(kind, erin, date(2026, 3, 1))

    response = client_for(alice).get(own_url(kind, erins.id))

    assert response.status_code == 404
    assert str(erins.id) not in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_a_patient_patching_another_patients_entry_gets_404_and_changes_nothing(alice, erin, kind):
    erins = make_entry(kind, erin, date(2026, 3, 1))
    before = row(kind, erins)

    response = client_for(alice).patch(own_url(kind, erins.id), {"note": "mine now"})

    assert response.status_code == 404
    assert row(kind, erins) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_patient_deleting_another_patients_entry_gets_404_and_it_stays(alice, erin, kind):
    erins = make_entry(kind, erin, date(2026, 3, 1))

    response = client_for(alice).delete(own_url(kind, erins.id))

    assert response.status_code == 404
    assert MODELS[kind]._default_manager.filter(pk=erins.pk).exists()


# Wrong role and no credentials ----------------------------------------------------------


def _own_requests(kind, entry_id):
    return [
        ("get", own_url(kind)),
        ("post", own_url(kind)),
        ("get", own_url(kind, entry_id)),
        ("patch", own_url(kind, entry_id)),
        ("delete", own_url(kind, entry_id)),
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("request_index", range(5), ids=["list", "create", "get", "patch", "del"])
def test_a_clinician_on_the_patients_own_entry_endpoints_gets_403(
    alice, bob, alice_team, kind, request_index
):
    entry = make_entry(kind, alice, date(2026, 3, 1))
    before = row(kind, entry)
    method, url = _own_requests(kind, entry.id)[request_index]

    response = getattr(client_for(bob), method)(url, valid_body(kind))

    assert response.status_code == 403
    assert count(kind) == 1
    assert row(kind, entry) == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("request_index", range(5), ids=["list", "create", "get", "patch", "del"])
def test_an_anonymous_caller_gets_401(alice, kind, request_index):
    entry = make_entry(kind, alice, date(2026, 3, 1))
    before = row(kind, entry)
    method, url = _own_requests(kind, entry.id)[request_index]

    response = getattr(client_for(None), method)(url, valid_body(kind))

    assert response.status_code == 401
    assert count(kind) == 1
    assert row(kind, entry) == before


# The clinician's read-only view ---------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_care_team_clinician_lists_the_patients_entries_newest_first(
    alice, erin, bob, alice_team, erin_team, kind
):
    older = make_entry(kind, alice, date(2026, 3, 1))
    newer = make_entry(kind, alice, date(2026, 3, 2))
    make_entry(kind, erin, date(2026, 3, 3))

    response = client_for(bob).get(patient_url(alice.id, kind))

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert ids(response) == [str(newer.id), str(older.id)]


@pytest.mark.parametrize("kind", KINDS)
def test_the_care_team_clinician_retrieves_one_entry_as_the_patient_sees_it(
    alice, bob, alice_team, kind
):
    entry = make_entry(kind, alice, date(2026, 3, 1))

    response = client_for(bob).get(patient_url(alice.id, kind, entry.id))

    assert response.status_code == 200
    assert response.json() == client_for(alice).get(own_url(kind, entry.id)).json()


@pytest.mark.parametrize("kind", KINDS)
def test_another_patients_entry_under_this_patients_address_is_404(
    alice, erin, bob, alice_team, erin_team, kind
):
    erins = make_entry(kind, erin, date(2026, 3, 1))

    response = client_for(bob).get(patient_url(alice.id, kind, erins.id))

    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["pain-entries", "peg-assessments", "use-entries"])
def test_the_clinicians_list_filters_on_the_patients_local_dates(alice, bob, alice_team, kind):
    # bob's own zone plays no part: 23:30 Berlin on 03-01 is 03-01, 00:30 on 03-02 is 03-02.
    late = make_entry(kind, alice, date(2026, 3, 1), 23, 30)
    make_entry(kind, alice, date(2026, 3, 2), 0, 30)

    response = client_for(bob).get(
        patient_url(alice.id, kind), {"since": "2026-03-01", "until": "2026-03-01"}
    )

    assert ids(response) == [str(late.id)]


def test_the_clinicians_sleep_list_filters_on_night_of(alice, bob, alice_team):
    make_entry("sleep-entries", alice, date(2026, 2, 28))
    night = make_entry("sleep-entries", alice, date(2026, 3, 1))
    make_entry("sleep-entries", alice, date(2026, 3, 2))

    response = client_for(bob).get(
        patient_url(alice.id, "sleep-entries"), {"since": "2026-03-01", "until": "2026-03-01"}
    )

    assert ids(response) == [str(night.id)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "params", [{"since": "2026-13-01"}, {"since": "2026-03-02", "until": "2026-03-01"}]
)
def test_the_clinicians_list_rejects_bad_dates_with_400(alice, bob, alice_team, kind, params):
    response = client_for(bob).get(patient_url(alice.id, kind), params)

    assert response.status_code == 400


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("method", "on_entry"),
    [("post", False), ("put", True), ("patch", True), ("delete", True)],
)
def test_the_clinicians_endpoints_do_not_write(alice, bob, alice_team, kind, method, on_entry):
    entry = make_entry(kind, alice, date(2026, 3, 1))
    before = row(kind, entry)
    url = patient_url(alice.id, kind, entry.id if on_entry else None)

    response = getattr(client_for(bob), method)(url, valid_body(kind, note="clinician edit"))

    assert response.status_code == 405
    assert count(kind) == 1
    assert row(kind, entry) == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("outsider", ["carol", "dave"])
@pytest.mark.parametrize("on_entry", [False, True], ids=["list", "retrieve"])
def test_a_clinician_outside_the_care_team_gets_404(
    request, alice, alice_team, kind, outsider, on_entry
):
    entry = make_entry(kind, alice, date(2026, 3, 1))
    url = patient_url(alice.id, kind, entry.id if on_entry else None)

    response = client_for(request.getfixturevalue(outsider)).get(url)

    assert response.status_code == 404
    assert str(entry.id) not in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_the_clinician_gets_404_once_the_patient_revokes_consent(alice, bob, alice_team, kind):
    make_entry(kind, alice, date(2026, 3, 1))
    alice_team.consent_revoked_at = timezone.now()
    alice_team.save(update_fields=["consent_revoked_at"])

    response = client_for(bob).get(patient_url(alice.id, kind))

    assert response.status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_a_clinician_asking_for_an_unknown_patient_gets_404(bob, alice_team, kind):
    response = client_for(bob).get(patient_url(uuid.uuid4(), kind))

    assert response.status_code == 404


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("on_entry", [False, True], ids=["list", "retrieve"])
def test_a_patient_on_the_clinicians_endpoints_gets_403_even_for_themself(alice, kind, on_entry):
    entry = make_entry(kind, alice, date(2026, 3, 1))
    url = patient_url(alice.id, kind, entry.id if on_entry else None)

    response = client_for(alice).get(url)

    assert response.status_code == 403


@pytest.mark.parametrize("kind", KINDS)
def test_an_anonymous_caller_on_the_clinicians_endpoints_gets_401(alice, kind):
    response = client_for(None).get(patient_url(alice.id, kind))

    assert response.status_code == 401
