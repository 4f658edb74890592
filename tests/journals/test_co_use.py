"""Co-use has one meaning (CLINICAL.md, "Day and night boundaries"): the ``co_use`` flag, the
clinician's chart and the patient's note all read ``journals.safety.co_use_pairs``."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journals.choices import Form, Substance, Unit
from journals.flags.services import flags_evaluate
from journals.models import Flag, PatientThresholds, Rule, UseEntry
from journals.safety import patient_co_use_days
from tests.factories import UseEntryFactory

# Berlin changes to summer time on 29 March: the generated doses span it.
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
# West and east of UTC as far as zones go, and one with summer time.
ZONES = ["Pacific/Pago_Pago", "America/Phoenix", "Europe/Berlin", "Pacific/Kiritimati"]
SEDATING = [Substance.ALCOHOL, Substance.BENZODIAZEPINE, Substance.OPIOID, Substance.GABAPENTINOID]


def use(patient, substance: str, at: datetime) -> UseEntry:
    if substance == Substance.KRATOM:
        return UseEntryFactory(patient=patient, taken_at=at)
    if substance == Substance.ALCOHOL:
        return UseEntryFactory(
            patient=patient,
            taken_at=at,
            substance=substance,
            amount=Decimal(2),
            unit=Unit.STANDARD_DRINK,
            form=Form.LIQUID,
        )
    return UseEntryFactory(
        patient=patient,
        taken_at=at,
        substance=substance,
        amount=Decimal(1),
        unit=Unit.TABLET,
        form=Form.TABLET,
    )


def flag_days(patient) -> set[date]:
    """The local days of the doses the ``co_use`` flag holds as its evidence."""
    flag = Flag.objects.filter(patient=patient, rule=Rule.CO_USE).first()
    if flag is None:
        return set()
    return {datetime.fromisoformat(item["at"]).date() for item in flag.evidence}


doses = st.lists(
    st.tuples(
        st.sampled_from([Substance.KRATOM, Substance.KRATOM, *SEDATING]),
        st.integers(min_value=0, max_value=4 * 24 * 60),  # minutes before NOW
    ),
    max_size=8,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    taken=doses,
    zone=st.sampled_from(ZONES),
    window_hours=st.one_of(st.none(), st.integers(min_value=1, max_value=12)),
)
def test_the_chart_marks_exactly_the_days_of_the_flags_evidence(alice, taken, zone, window_hours):
    UseEntry.objects.filter(patient=alice).delete()
    Flag.objects.filter(patient=alice).delete()
    alice.patient_profile.timezone = zone
    alice.patient_profile.save(update_fields=["timezone"])
    PatientThresholds.objects.update_or_create(
        patient=alice, defaults={"co_use_window_hours": window_hours}
    )
    with time_machine.travel(NOW, tick=False):
        for substance, minutes in taken:
            use(alice, substance, NOW - timedelta(minutes=minutes))
        flags_evaluate(patient_id=alice.pk)
        today = NOW.astimezone(ZoneInfo(zone)).date()
        chart = patient_co_use_days(
            patient=alice,
            since=today - timedelta(days=14),
            until=today,
            window_hours=window_hours or 6,
        )

    assert chart == flag_days(alice)


@time_machine.travel(NOW, tick=False)
def test_kratom_and_a_drink_on_one_day_but_twelve_hours_apart_are_not_co_use(alice):
    berlin = ZoneInfo("Europe/Berlin")
    use(alice, Substance.KRATOM, datetime(2026, 3, 19, 8, 0, tzinfo=berlin))
    use(alice, Substance.ALCOHOL, datetime(2026, 3, 19, 20, 0, tzinfo=berlin))

    flags_evaluate(patient_id=alice.pk)
    chart = patient_co_use_days(
        patient=alice, since=date(2026, 3, 10), until=date(2026, 3, 20), window_hours=6
    )

    assert flag_days(alice) == set()
    assert chart == set()


@pytest.mark.parametrize("hours_apart", [1, 6])
@time_machine.travel(NOW, tick=False)
def test_kratom_at_half_past_eleven_and_drinks_after_midnight_mark_both_days(alice, hours_apart):
    berlin = ZoneInfo("Europe/Berlin")
    kratom_at = datetime(2026, 3, 18, 23, 30, tzinfo=berlin)
    use(alice, Substance.KRATOM, kratom_at)
    use(alice, Substance.ALCOHOL, kratom_at + timedelta(hours=hours_apart))

    flags_evaluate(patient_id=alice.pk)
    chart = patient_co_use_days(
        patient=alice, since=date(2026, 3, 10), until=date(2026, 3, 20), window_hours=6
    )

    assert chart == flag_days(alice) == {date(2026, 3, 18), date(2026, 3, 19)}
