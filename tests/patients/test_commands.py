"""The account commands (create_clinic, create_clinician, create_patient) and seed_demo."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from journals.choices import Form, Substance, Unit
from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry
from patients.demo import (
    DEMO_CLINIC,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    PERSONAS,
    PatientStory,
    demo_email,
)
from patients.models import CareTeamMembership, Clinic, ClinicianProfile, PatientProfile, User
from tests.factories import PASSWORD, PatientFactory

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # 90 days back cross US, EU and Sydney DST
JOURNAL_MODELS: tuple[type[JournalEntry], ...] = (PainEntry, PegAssessment, SleepEntry, UseEntry)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (User, Clinic, ClinicianProfile, PatientProfile, CareTeamMembership, *JOURNAL_MODELS)
    return {model.__name__: model._default_manager.count() for model in models}


def clinician_args(clinic: str = "Riverside", email: str = "new.doc@example.org") -> list[str]:
    return ["create_clinician", "--clinic", clinic, "--email", email, "--password", PASSWORD]


def patient_args(clinic: str = "Riverside", email: str = "new.patient@example.org") -> list[str]:
    return ["create_patient", "--clinic", clinic, "--email", email, "--password", PASSWORD]


# create_clinic -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_clinic_creates_it() -> None:
    out = run("create_clinic", "  Lakeside Pain Clinic ")

    assert Clinic.objects.get().name == "Lakeside Pain Clinic"
    assert "Created clinic" in out


@pytest.mark.django_db
def test_create_clinic_twice_changes_nothing() -> None:
    run("create_clinic", "Lakeside")
    before = row_counts()

    out = run("create_clinic", "Lakeside")

    assert row_counts() == before
    assert "already exists" in out


@pytest.mark.django_db
def test_create_clinic_with_a_blank_name_is_refused() -> None:
    with pytest.raises(CommandError, match="needs a name"):
        run("create_clinic", "   ")
    assert not Clinic.objects.exists()


# create_clinician --------------------------------------------------------------------------


def test_create_clinician_creates_an_account_in_the_clinic(riverside: Clinic) -> None:
    out = run(*clinician_args(), "--name", "Dr New", "--title", "Physiotherapist")

    user = User.objects.get(email="new.doc@example.org")
    assert user.is_clinician
    assert user.clinic == riverside
    assert user.display_name == "Dr New"
    assert user.clinician_profile.title == "Physiotherapist"
    assert user.check_password(PASSWORD)
    assert "Created clinician new.doc@example.org" in out


def test_create_clinician_twice_changes_nothing(riverside: Clinic) -> None:
    run(*clinician_args())
    before = row_counts()

    out = run(*clinician_args(email="NEW.doc@example.org"), "--name", "Someone Else")

    assert row_counts() == before
    assert User.objects.get(email="new.doc@example.org").display_name == ""
    assert "already exists" in out


def test_create_clinician_needs_an_existing_clinic(db: None) -> None:
    with pytest.raises(CommandError, match='no clinic named "Nowhere"'):
        run(*clinician_args(clinic="Nowhere"))
    assert not User.objects.exists()


def test_create_clinician_refuses_a_patients_email(alice: User) -> None:
    with pytest.raises(CommandError, match="belongs to a patient, not a clinician"):
        run(*clinician_args(email=alice.email))
    assert not ClinicianProfile.objects.exists()


def test_create_clinician_refuses_a_clinician_of_another_clinic(
    dave: User, riverside: Clinic
) -> None:
    with pytest.raises(CommandError, match='not a clinician of "Riverside"'):
        run(*clinician_args(clinic="Riverside", email=dave.email))
    assert dave.clinic.name == "Hillside"


def test_create_clinician_refuses_a_weak_password(riverside: Clinic) -> None:
    args = clinician_args()
    args[-1] = "short"

    with pytest.raises(CommandError, match="password: This password is too short"):
        run(*args)
    assert not User.objects.exists()


def test_create_clinician_refuses_an_invalid_email(riverside: Clinic) -> None:
    with pytest.raises(CommandError, match="email: Enter a valid email address"):
        run(*clinician_args(email="not-an-email"))


# create_patient ----------------------------------------------------------------------------


def test_create_patient_creates_an_account_on_the_care_team(bob: User) -> None:
    out = run(
        *patient_args(), "--name", "Pat", "--clinician", bob.email, "--timezone", "Asia/Kolkata"
    )

    patient = User.objects.get(email="new.patient@example.org")
    assert patient.is_patient
    assert patient.display_name == "Pat"
    assert patient.patient_profile.clinic.name == "Riverside"
    assert patient.patient_profile.timezone == "Asia/Kolkata"
    assert CareTeamMembership.objects.filter(patient=patient, clinician=bob).exists()
    assert "Created patient new.patient@example.org" in out


def test_create_patient_without_options_is_in_utc_with_no_care_team(riverside: Clinic) -> None:
    run(*patient_args())

    patient = User.objects.get(email="new.patient@example.org")
    assert patient.patient_profile.timezone == "UTC"
    assert not CareTeamMembership.objects.exists()


def test_create_patient_twice_changes_nothing(bob: User) -> None:
    run(*patient_args(), "--clinician", bob.email)
    before = row_counts()

    out = run(*patient_args(), "--clinician", bob.email, "--timezone", "Europe/Berlin")

    assert row_counts() == before
    assert PatientProfile.objects.get().timezone == "UTC"
    assert "already exists" in out


def test_create_patient_again_with_a_clinician_puts_them_on_the_care_team(
    alice: User, bob: User
) -> None:
    out = run(*patient_args(email=alice.email), "--clinician", bob.email)

    assert CareTeamMembership.objects.filter(patient=alice, clinician=bob).exists()
    assert "Added bob@example.org to the care team" in out


def test_create_patient_again_leaves_withdrawn_consent_withdrawn(
    alice: User, bob: User, alice_team: CareTeamMembership
) -> None:
    alice_team.consent_revoked_at = NOW
    alice_team.save(update_fields=["consent_revoked_at"])

    out = run(*patient_args(email=alice.email), "--clinician", bob.email)

    alice_team.refresh_from_db()
    assert alice_team.consent_revoked_at == NOW
    assert "withdrawn consent" in out


def test_create_patient_needs_an_existing_clinic(db: None) -> None:
    with pytest.raises(CommandError, match='no clinic named "Nowhere"'):
        run(*patient_args(clinic="Nowhere"))
    assert not User.objects.exists()


def test_create_patient_refuses_a_clinicians_email(bob: User) -> None:
    with pytest.raises(CommandError, match="belongs to a clinician, not a patient"):
        run(*patient_args(email=bob.email))
    assert not PatientProfile.objects.exists()


def test_create_patient_refuses_a_patient_of_another_clinic(alice: User, hillside: Clinic) -> None:
    with pytest.raises(CommandError, match='not a patient of "Hillside"'):
        run(*patient_args(clinic="Hillside", email=alice.email))


def test_create_patient_refuses_a_clinician_from_another_clinic(
    dave: User, riverside: Clinic
) -> None:
    with pytest.raises(
        CommandError, match=re.escape('dave@example.org is not a clinician of "Riverside"')
    ):
        run(*patient_args(), "--clinician", dave.email)
    assert not User.objects.filter(email="new.patient@example.org").exists()


def test_create_patient_refuses_a_patient_as_the_clinician(alice: User) -> None:
    with pytest.raises(CommandError, match="is not a clinician of"):
        run(*patient_args(), "--clinician", alice.email)


def test_create_patient_refuses_an_unknown_timezone(riverside: Clinic) -> None:
    with pytest.raises(CommandError, match="IANA time zone"):
        run(*patient_args(), "--timezone", "CET+1")
    assert not User.objects.exists()


def test_create_patient_refuses_a_weak_password(riverside: Clinic) -> None:
    args = patient_args()
    args[-1] = "123456789012"

    with pytest.raises(CommandError, match="password: This password is entirely numeric"):
        run(*args)
    assert not User.objects.exists()


# seed_demo ---------------------------------------------------------------------------------

LOGIN = re.compile(r"^\s+(clinician|patient)\s+(\S+@\S+)\s+(\S+)$")


@pytest.fixture
def seeded(db: None) -> Iterator[str]:
    """The demo loaded at a fixed now; yields what the command printed."""
    with time_machine.travel(NOW, tick=False):
        yield run("seed_demo")


def logins(output: str) -> list[tuple[str, str, str]]:
    return [m.groups() for line in output.splitlines() if (m := LOGIN.match(line))]


def demo_patients() -> list[User]:
    return list(User.objects.filter(role="patient").select_related("patient_profile"))


def entries_of(patient: User) -> list[JournalEntry]:
    return [
        entry
        for model in JOURNAL_MODELS
        for entry in model._default_manager.filter(patient=patient)
    ]


def moment(entry: JournalEntry) -> datetime:
    if isinstance(entry, SleepEntry):
        return entry.rise_at
    value: datetime = getattr(entry, entry.moment_field)
    return value


def test_seed_demo_creates_one_clinic_two_clinicians_and_twelve_patients(seeded: str) -> None:
    assert Clinic.objects.get().name == DEMO_CLINIC
    assert ClinicianProfile.objects.filter(clinic__name=DEMO_CLINIC).count() == 2
    assert PatientProfile.objects.filter(clinic__name=DEMO_CLINIC).count() == 12
    assert {p.patient_profile.timezone for p in demo_patients()} >= {
        "America/New_York",
        "Europe/London",
        "Australia/Sydney",
        "Asia/Kolkata",
    }


def test_seed_demo_puts_every_patient_on_the_first_clinicians_team(seeded: str) -> None:
    first = User.objects.get(email=demo_email("clinician1"))
    second = User.objects.get(email=demo_email("clinician2"))

    assert CareTeamMembership.objects.filter(clinician=first).count() == 12
    assert 0 < CareTeamMembership.objects.filter(clinician=second).count() < 12


def test_seed_demo_prints_every_login_and_they_work(seeded: str) -> None:
    printed = logins(seeded)

    assert f"Demo logins (password for all: {DEMO_PASSWORD})" in seeded
    assert {email for _, email, _ in printed} == set(User.objects.values_list("email", flat=True))
    for role, email, password in printed:
        user = User.objects.get(email=email)
        assert user.role == role
        assert email.endswith(f"@{DEMO_DOMAIN}")
        assert user.check_password(password)


def test_seed_demo_twice_creates_nothing_and_still_prints_the_logins(seeded: str) -> None:
    before = row_counts()

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        again = run("seed_demo")

    assert row_counts() == before
    assert "Demo data already loaded." in again
    assert logins(again) == logins(seeded)
    assert len(logins(again)) == 14


def test_seed_demo_writes_90_nights_of_sleep_for_each_active_patient(seeded: str) -> None:
    stopped = {demo_email(p.key) for p in PERSONAS if p.stopped_days_ago}
    for patient in demo_patients():
        nights = sorted(
            SleepEntry.objects.filter(patient=patient).values_list("night_of", flat=True)
        )
        if patient.email in stopped:
            continue
        assert len(nights) >= 90, patient.email
        assert (nights[-1] - nights[0]).days == len(nights) - 1  # no night missing


def test_seed_demo_writes_every_kind_of_entry_for_every_patient(seeded: str) -> None:
    for patient in demo_patients():
        for model in JOURNAL_MODELS:
            assert model._default_manager.filter(patient=patient).exists(), (patient, model)


def test_seed_demo_writes_no_entry_in_the_future(seeded: str) -> None:
    for patient in demo_patients():
        assert max(moment(entry) for entry in entries_of(patient)) <= NOW


def test_seed_demo_entries_all_pass_the_domain_rules(seeded: str) -> None:
    with time_machine.travel(NOW, tick=False):
        for patient in demo_patients():
            for entry in entries_of(patient):
                entry.patient = patient
                entry.full_clean(
                    exclude=["patient", "id"], validate_unique=False, validate_constraints=False
                )


def test_seed_demo_kratom_leaf_doses_are_mostly_1_to_4_g(seeded: str) -> None:
    grams = list(
        UseEntry.objects.filter(substance=Substance.KRATOM, unit=Unit.G).values_list(
            "amount", flat=True
        )
    )
    usual = [g for g in grams if 1 <= g <= 4]

    assert len(usual) / len(grams) > 0.8
    assert max(grams) < 15


def test_seed_demo_has_patients_who_take_kratom_with_alcohol_or_a_benzodiazepine(
    seeded: str,
) -> None:
    co_users = set()
    for sedative in UseEntry.objects.filter(
        substance__in=[Substance.ALCOHOL, Substance.BENZODIAZEPINE]
    ):
        near = UseEntry.objects.filter(
            patient_id=sedative.patient_id,
            substance=Substance.KRATOM,
            taken_at__range=(sedative.taken_at - timedelta(hours=6), sedative.taken_at),
        )
        if near.exists():
            co_users.add((sedative.patient_id, sedative.substance))

    assert {substance for _, substance in co_users} == {"alcohol", "benzodiazepine"}


def test_seed_demo_has_a_seven_oh_product_in_mg(seeded: str) -> None:
    assert UseEntry.objects.filter(form=Form.SEVEN_OH, unit=Unit.MG).exists()


def test_seed_demo_has_poor_sleepers(seeded: str) -> None:
    def mean_efficiency(patient: User) -> float:
        nights = SleepEntry.objects.filter(patient=patient)
        return sum(float(n.sleep_efficiency_pct) for n in nights) / len(nights)

    efficiencies = [mean_efficiency(p) for p in demo_patients()]

    assert sum(1 for e in efficiencies if e < 80) >= 2
    assert sum(1 for e in efficiencies if e >= 85) >= 6


def test_seed_demo_has_a_patient_who_stopped_logging(seeded: str) -> None:
    newest = {p.email: max(moment(e) for e in entries_of(p)) for p in demo_patients()}

    assert any(NOW - when >= timedelta(days=5) for when in newest.values())


def test_seed_demo_has_a_patient_whose_doses_escalate(seeded: str) -> None:
    def mean_dose(patient: User, since: datetime, until: datetime) -> float:
        doses = UseEntry.objects.filter(
            patient=patient, unit=Unit.G, taken_at__gte=since, taken_at__lt=until
        ).values_list("amount", flat=True)
        return float(sum(doses)) / len(doses)

    growth = [
        mean_dose(p, NOW - timedelta(days=14), NOW)
        / mean_dose(p, NOW - timedelta(days=90), NOW - timedelta(days=60))
        for p in demo_patients()
    ]

    assert max(growth) > 1.8


def test_seed_demo_is_refused_and_saves_nothing_when_a_demo_email_is_taken(
    hillside: Clinic,
) -> None:
    PatientFactory(email=demo_email("alex"), clinic=hillside)
    before = row_counts()

    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match="already exists"):
        run("seed_demo")

    assert row_counts() == before


def test_demo_story_is_the_same_every_run(db: None) -> None:
    persona = PERSONAS[0]
    patient = PatientFactory(timezone=persona.timezone)

    def story() -> list[tuple[object, ...]]:
        entries = PatientStory(patient=patient, persona=persona, now=NOW).entries()
        return [
            tuple(getattr(e, f.attname) for f in e._meta.concrete_fields if f.name != "id")
            for e in entries
        ]

    assert story() == story()
