"""Clinic admins see what reached whom: deliveries in the Django admin, read-only, their
own clinic's people only."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission

from journals.models import Delivery, DeliveryStatus, ReminderKind
from tests.conftest import client_for
from tests.factories import ClinicianFactory, PatientFactory

CHANGELIST = "/admin/journals/delivery/"


@pytest.fixture
def riverside_staff(riverside):
    staff = ClinicianFactory(email="admin@riverside.example", clinic=riverside, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    return staff


def _delivery(recipient, **fields) -> Delivery:
    return Delivery.objects.create(
        recipient=recipient,
        kind=ReminderKind.EVENING,
        local_date=date(2026, 6, 10),
        due_at=datetime(2026, 6, 10, 19, tzinfo=UTC),
        **fields,
    )


def test_staff_see_their_clinics_failed_deliveries_with_the_reason(
    riverside_staff, alice, hillside
):
    _delivery(alice, status=DeliveryStatus.FAILED, attempts=5, last_error="SMTP 421")
    _delivery(PatientFactory(display_name="Hank", clinic=hillside), last_error="SMTP 550")

    response = client_for(riverside_staff).get(CHANGELIST, {"status__exact": "failed"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice" in page
    assert "SMTP 421" in page
    assert "Hank" not in page
    assert "SMTP 550" not in page


def test_deliveries_cannot_be_added_changed_or_deleted(riverside_staff, alice):
    delivery = _delivery(alice)
    client = client_for(riverside_staff)

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    client.post(f"{CHANGELIST}{delivery.pk}/change/", {"status": "sent"})
    client.post(f"{CHANGELIST}{delivery.pk}/delete/", {"post": "yes"})

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
