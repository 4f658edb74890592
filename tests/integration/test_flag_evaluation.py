"""Entries saved through the API are evaluated for flags by a real worker process."""

from datetime import timedelta

import pytest
from django.utils import timezone

from journals.flags.tasks import flags_evaluate_task
from journals.models import Flag, FlagStatus
from tests.conftest import client_for
from tests.integration.processes import WAIT_S, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _use(hours_ago: float, **fields: str) -> dict[str, str]:
    return {
        "taken_at": (timezone.now() - timedelta(hours=hours_ago)).isoformat(),
        "mixed_with": "none",
        "reason": "pain",
        **fields,
    }


def test_kratom_and_alcohol_posted_by_the_patient_raise_a_co_use_flag(celery_worker, alice):
    client = client_for(alice)
    kratom = client.post(
        "/api/v1/use-entries/",
        _use(3, substance="kratom", amount="3", unit="g", form="powder"),
        format="json",
    )
    beer = client.post(
        "/api/v1/use-entries/",
        _use(1, substance="alcohol", amount="2", unit="standard_drink", form="liquid"),
        format="json",
    )
    assert (kratom.status_code, beer.status_code) == (201, 201)

    flag = wait_for(lambda: Flag.objects.filter(patient=alice, rule="co_use").first())

    assert (flag.severity, flag.status) == ("high", FlagStatus.OPEN)
    assert {item["entry_id"] for item in flag.evidence} == {kratom.json()["id"], beer.json()["id"]}


def test_evaluations_repeated_by_the_worker_keep_one_open_flag(celery_worker, alice):
    client = client_for(alice)
    client.post(
        "/api/v1/use-entries/",
        _use(2, substance="kratom", amount="7", unit="g", form="powder"),
        format="json",
    )
    wait_for(lambda: Flag.objects.filter(patient=alice, rule="high_single_dose").exists())

    results = [flags_evaluate_task.delay(str(alice.pk)) for _ in range(3)]

    assert [r.get(timeout=WAIT_S) for r in results] == [1, 1, 1]
    assert Flag.objects.filter(patient=alice, rule="high_single_dose").count() == 1


def test_the_flag_the_worker_raises_reaches_the_clinicians_list(
    celery_worker, alice, bob, alice_team
):
    client_for(alice).post(
        "/api/v1/use-entries/",
        _use(1, substance="kratom", form="seven_oh", unit="mg", amount="15"),
        format="json",
    )

    def flagged_for_bob():
        listed = client_for(bob).get("/api/v1/patients/", {"flagged": "true"}).json()["results"]
        return [p for p in listed if p["id"] == str(alice.pk)]

    [row] = wait_for(flagged_for_bob)
    assert "seven_oh_product" in row["open_flag_rules"]
    page = client_for(bob).get("/clinic/", {"flagged": "1"}).content.decode()
    assert "7-OH product" in page


def test_a_threshold_lowered_by_the_care_team_is_applied_at_once(
    celery_worker, alice, bob, alice_team
):
    client_for(alice).post(
        "/api/v1/use-entries/",
        _use(2, substance="kratom", amount="4", unit="g", form="powder"),
        format="json",
    )
    results = [flags_evaluate_task.delay(str(alice.pk))]
    assert [r.get(timeout=WAIT_S) for r in results] == [0]  # 4 g: under the default 5 g

    answer = client_for(bob).put(f"/api/v1/patients/{alice.pk}/thresholds/", {"single_dose_g": 3})

    assert answer.status_code == 200
    flag = wait_for(lambda: Flag.objects.filter(patient=alice, rule="high_single_dose").first())
    assert flag.status == FlagStatus.OPEN
