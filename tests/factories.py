"""Factories for people and journal entries."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from journals.choices import Form, MixedWith, Reason, Substance, Unit
from journals.models import PainEntry, PegAssessment, SleepEntry, UseEntry
from patients.models import CareTeamMembership, Clinic, ClinicianProfile, PatientProfile, Role, User

PASSWORD = "correct-horse-battery-staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class PatientFactory(UserFactory):
    """A patient with a profile: ``PatientFactory(clinic=c, timezone="Europe/Berlin")``."""

    role = Role.PATIENT

    class Params:
        clinic = factory.SubFactory(ClinicFactory)
        timezone = "UTC"

    profile = factory.RelatedFactory(
        "tests.factories.PatientProfileFactory",
        factory_related_name="user",
        clinic=factory.SelfAttribute("..clinic"),
        timezone=factory.SelfAttribute("..timezone"),
    )


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    clinic = factory.SubFactory(ClinicFactory)
    timezone = "UTC"


class ClinicianFactory(UserFactory):
    """A clinician with a profile: ``ClinicianFactory(clinic=c)``."""

    role = Role.CLINICIAN

    class Params:
        clinic = factory.SubFactory(ClinicFactory)
        timezone = "UTC"

    profile = factory.RelatedFactory(
        "tests.factories.ClinicianProfileFactory",
        factory_related_name="user",
        clinic=factory.SelfAttribute("..clinic"),
        timezone=factory.SelfAttribute("..timezone"),
    )


class ClinicianProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicianProfile

    clinic = factory.SubFactory(ClinicFactory)
    title = "MD"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMembership

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.SubFactory(ClinicianFactory)


def _an_hour_ago() -> datetime:
    return timezone.now() - timedelta(hours=1)


class PainEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PainEntry

    patient = factory.SubFactory(PatientFactory)
    recorded_at = factory.LazyFunction(_an_hour_ago)
    intensity = 5
    locations = factory.LazyFunction(lambda: ["lower_back"])


class PegAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PegAssessment

    patient = factory.SubFactory(PatientFactory)
    recorded_at = factory.LazyFunction(_an_hour_ago)
    pain_average = 6
    enjoyment_interference = 5
    activity_interference = 4


def night_times(night_of: date, zone: ZoneInfo) -> dict[str, datetime]:
    """A plausible night: in bed 22:30, lights out 22:45, awake 06:30, up 06:45 (local)."""
    evening = datetime.combine(night_of, time(22, 30), tzinfo=zone)
    morning = datetime.combine(night_of + timedelta(days=1), time(6, 30), tzinfo=zone)
    return {
        "bedtime": evening,
        "lights_out_at": evening + timedelta(minutes=15),
        "final_wake_at": morning,
        "rise_at": morning + timedelta(minutes=15),
    }


class SleepEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SleepEntry

    patient = factory.SubFactory(PatientFactory)
    night_of = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=2))
    bedtime = factory.LazyAttribute(
        lambda o: night_times(o.night_of, o.patient.patient_profile.zone)["bedtime"]
    )
    lights_out_at = factory.LazyAttribute(lambda o: o.bedtime + timedelta(minutes=15))
    final_wake_at = factory.LazyAttribute(lambda o: o.bedtime + timedelta(hours=8))
    rise_at = factory.LazyAttribute(lambda o: o.final_wake_at + timedelta(minutes=15))
    sleep_onset_latency_min = 20
    awakenings = 2
    wake_after_sleep_onset_min = 30
    quality = 3


class UseEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UseEntry

    patient = factory.SubFactory(PatientFactory)
    taken_at = factory.LazyFunction(_an_hour_ago)
    substance = Substance.KRATOM
    amount = Decimal("2.5")
    unit = Unit.G
    form = Form.POWDER
    mixed_with = MixedWith.WARM_WATER
    reason = Reason.PAIN
