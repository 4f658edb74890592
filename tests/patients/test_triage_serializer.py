"""The patient list's rows are written out by hand for speed (issue #8): they must read
exactly as DRF's own walk over the declared fields would give them."""

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from journals.flags.triage import TriageRow
from journals.models import Rule
from patients.serializers import PatientTriageSerializer

counts = st.integers(min_value=0, max_value=500)


def decimals(most: str) -> st.SearchStrategy[Decimal | None]:
    """Kept with one decimal; more places check that the fields' rounding still applies."""
    return st.none() | st.integers(0, 3).flatmap(
        lambda places: st.decimals(
            min_value=0, max_value=Decimal(most), places=places, allow_nan=False
        )
    )


rows = st.fixed_dictionaries(
    {
        "open_high": counts,
        "open_medium": counts,
        "open_low": counts,
        "open_flag_rules": st.lists(st.sampled_from(Rule.values), unique=True),
        "unreviewed_entries": counts,
        "last_entry_at": st.none()
        | st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
        ),
        "pain_7d_mean": decimals("10"),
        "pain_prev_7d_mean": decimals("10"),
        "kratom_7d_g_per_day": decimals("99999"),
        "sleep_efficiency_recent": decimals("100"),
    }
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    figures=rows,
    born=st.none() | st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 1, 1)),
    name=st.text(max_size=40),
)
def test_a_row_reads_as_drfs_own_walk_would_give_it(alice, figures, born, name):
    alice.display_name = name
    alice.patient_profile.date_of_birth = born
    row = TriageRow(patient=alice, today=date(2026, 4, 2), **figures)
    serializer = PatientTriageSerializer()

    written_out = serializer.to_representation(row)
    drfs_own = serializers.Serializer.to_representation(serializer, row)

    assert written_out == drfs_own
    assert list(written_out) == list(drfs_own)  # the same order of keys too
