from patients.permissions import patients_visible_to
from tests.factories import PainEntryFactory, SleepEntryFactory, UseEntryFactory


def test_named_people_see_what_they_should(alice, bob, carol, dave, erin, alice_team):
    assert list(patients_visible_to(bob)) == [alice]
    assert list(patients_visible_to(carol)) == []
    assert list(patients_visible_to(dave)) == []
    assert list(patients_visible_to(alice)) == [alice]
    assert list(patients_visible_to(erin)) == [erin]


def test_factories_build_valid_entries(alice):
    for entry in (
        PainEntryFactory(patient=alice),
        SleepEntryFactory(patient=alice),
        UseEntryFactory(patient=alice),
    ):
        entry.full_clean(
            exclude=["patient", "id"], validate_unique=False, validate_constraints=False
        )
