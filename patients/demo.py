"""The demo clinic for ``manage.py seed_demo``: two clinicians, twelve patients, 90 days of
journals each.

Each patient follows a persona (stable, escalating, co-use, poor sleeper, 7-OH, stopped
logging), drawn from a ``random.Random`` seeded per persona, so every run tells the same
story. Accounts go through the services; every journal entry passes the domain rules
(model ``clean``) before it is written in bulk.
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from journals.choices import Form, MixedWith, PainLocation, Reason, Substance, Unit
from journals.flags.services import flags_evaluate
from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry
from journals.validators import night_of_for
from patients.models import Authenticator, Role, User
from patients.services import (
    care_team_add,
    clinic_get_or_create,
    clinician_create,
    mfa_totp_enrol,
    patient_create,
)

DEMO_CLINIC = "Mitra Demo Clinic"
DEMO_DOMAIN = "demo.mitra.test"
# Shared by every demo account; passes the password validators in settings (≥ 12 characters).
DEMO_PASSWORD = "mitra-demo-pass-2026"  # noqa: S105
DEMO_SEED = "mitra-demo"
HISTORY_DAYS = 90
BATCH_SIZE = 500


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoClinician:
    key: str
    display_name: str
    title: str
    timezone: str


@dataclass(frozen=True)
class Persona:
    """One demo patient and the shape of their 90 days."""

    key: str
    display_name: str
    timezone: str
    pain: float  # usual NRS, 0–10
    locations: tuple[PainLocation, ...]
    leaf_form: Form
    dose_g: float  # usual leaf dose at the start
    doses_per_day: tuple[int, int, int]  # weights of one, two and three doses a day
    escalation: float = 0.0  # how much the dose has grown by the end (1.0 = doubled)
    co_use: Substance | None = None  # alcohol or a benzodiazepine, in the evening
    poor_sleeper: bool = False
    seven_oh: bool = False
    stopped_days_ago: int = 0
    bedtime_min: int = 22 * 60 + 45  # usual bedtime, minutes after midnight of night_of
    on_second_team: bool = False

    @property
    def email(self) -> str:
        return demo_email(self.key)


CLINICIANS = (
    DemoClinician("clinician1", "Dr Maya Okafor", "Pain medicine physician", "America/New_York"),
    DemoClinician("clinician2", "Sam Rivera", "Nurse practitioner", "America/Chicago"),
)

PERSONAS = (
    Persona(
        key="alex",
        display_name="Alex Morgan",
        timezone="America/New_York",
        pain=5,
        locations=(PainLocation.LOWER_BACK,),
        leaf_form=Form.POWDER,
        dose_g=2.0,
        doses_per_day=(1, 6, 2),
    ),
    Persona(
        key="bianca",
        display_name="Bianca Rossi",
        timezone="Europe/London",
        pain=4,
        locations=(PainLocation.NECK, PainLocation.SHOULDERS),
        leaf_form=Form.CAPSULE,
        dose_g=1.5,
        doses_per_day=(6, 3, 0),
        on_second_team=True,
    ),
    Persona(
        key="chen",
        display_name="Chen Wei",
        timezone="Australia/Sydney",
        pain=6,
        locations=(PainLocation.KNEES,),
        leaf_form=Form.TEA,
        dose_g=3.0,
        doses_per_day=(2, 6, 1),
        bedtime_min=23 * 60 + 15,
    ),
    Persona(
        key="dana",
        display_name="Dana Whitfield",
        timezone="America/Chicago",
        pain=6,
        locations=(PainLocation.LOWER_BACK, PainLocation.HIPS),
        leaf_form=Form.POWDER,
        dose_g=2.0,
        doses_per_day=(2, 6, 1),
        escalation=2.0,
        on_second_team=True,
    ),
    Persona(
        key="eli",
        display_name="Eli Navarro",
        timezone="America/Denver",
        pain=5,
        locations=(PainLocation.WIDESPREAD,),
        leaf_form=Form.CAPSULE,
        dose_g=2.0,
        doses_per_day=(3, 5, 1),
        escalation=1.0,
    ),
    Persona(
        key="fatima",
        display_name="Fatima Khan",
        timezone="Asia/Kolkata",
        pain=6,
        locations=(PainLocation.HEAD, PainLocation.NECK),
        leaf_form=Form.POWDER,
        dose_g=2.5,
        doses_per_day=(7, 2, 0),
        poor_sleeper=True,
        bedtime_min=23 * 60 + 30,
    ),
    Persona(
        key="george",
        display_name="George Baker",
        timezone="America/Los_Angeles",
        pain=5,
        locations=(PainLocation.KNEES, PainLocation.LEGS),
        leaf_form=Form.POWDER,
        dose_g=3.0,
        doses_per_day=(2, 6, 1),
        co_use=Substance.ALCOHOL,
        on_second_team=True,
    ),
    Persona(
        key="hana",
        display_name="Hana Schmidt",
        timezone="Europe/Berlin",
        pain=7,
        locations=(PainLocation.UPPER_BACK, PainLocation.SHOULDERS),
        leaf_form=Form.CAPSULE,
        dose_g=2.0,
        doses_per_day=(3, 6, 0),
        co_use=Substance.BENZODIAZEPINE,
        poor_sleeper=True,
    ),
    Persona(
        key="ivan",
        display_name="Ivan Petrov",
        timezone="America/New_York",
        pain=6,
        locations=(PainLocation.LOWER_BACK, PainLocation.LEGS),
        leaf_form=Form.POWDER,
        dose_g=2.5,
        doses_per_day=(2, 6, 2),
        seven_oh=True,
        bedtime_min=24 * 60 + 10,
        on_second_team=True,
    ),
    Persona(
        key="jo",
        display_name="Jo Taylor",
        timezone="America/Phoenix",
        pain=4,
        locations=(PainLocation.HANDS,),
        leaf_form=Form.TEA,
        dose_g=2.0,
        doses_per_day=(5, 4, 0),
        stopped_days_ago=6,
    ),
    Persona(
        key="kai",
        display_name="Kai Nakamura",
        timezone="Asia/Tokyo",
        pain=7,
        locations=(PainLocation.WIDESPREAD,),
        leaf_form=Form.POWDER,
        dose_g=3.5,
        doses_per_day=(1, 5, 3),
        poor_sleeper=True,
        bedtime_min=23 * 60 + 50,
    ),
    Persona(
        key="lena",
        display_name="Lena Johansson",
        timezone="Europe/Stockholm",
        pain=3,
        locations=(PainLocation.FEET,),
        leaf_form=Form.CAPSULE,
        dose_g=1.0,
        doses_per_day=(5, 5, 0),
        bedtime_min=22 * 60 + 15,
        on_second_team=True,
    ),
)

# Local hours (from, to) of each dose when a patient takes one, two or three a day.
MORNING, AFTERNOON, EVENING = (7.5, 9.5), (13.0, 15.5), (19.0, 21.5)
DOSE_SLOTS = {1: (EVENING,), 2: (MORNING, EVENING), 3: (MORNING, AFTERNOON, EVENING)}


def demo_logins() -> list[tuple[str, str]]:
    """Every demo account as ``(role, email)``, clinicians first."""
    return [(Role.CLINICIAN.value, demo_email(c.key)) for c in CLINICIANS] + [
        (Role.PATIENT.value, p.email) for p in PERSONAS
    ]


def demo_otpauth_uris() -> dict[str, str]:
    """email -> otpauth URI of each demo clinician's authenticator (two-step sign-in)."""
    devices = Authenticator.objects.filter(
        user__email__in=[demo_email(c.key) for c in CLINICIANS], confirmed=True
    ).select_related("user")
    return {device.user.email: device.config_url for device in devices}


@transaction.atomic
def demo_seed(*, now: datetime) -> bool:
    """Create the demo clinic, its people and their journals. False if it already exists."""
    clinic, created = clinic_get_or_create(name=DEMO_CLINIC)
    if not created:
        return False
    first, second = [
        clinician_create(
            clinic=clinic,
            email=demo_email(c.key),
            password=DEMO_PASSWORD,
            display_name=c.display_name,
            title=c.title,
            timezone_name=c.timezone,
        )
        for c in CLINICIANS
    ]
    for clinician in (first, second):
        mfa_totp_enrol(user=clinician)  # clinicians sign in with a code: the URI is printed
    entries: list[JournalEntry] = []
    patients: list[User] = []
    for persona in PERSONAS:
        patient = patient_create(
            clinic=clinic,
            email=persona.email,
            password=DEMO_PASSWORD,
            display_name=persona.display_name,
            timezone_name=persona.timezone,
            clinician=first,
        )
        if persona.on_second_team:
            care_team_add(patient=patient, clinician=second)
        entries += PatientStory(patient=patient, persona=persona, now=now).entries()
        patients.append(patient)
    _save(entries)
    # Bulk writes skip the services' after-commit evaluation: evaluate here, so the demo
    # clinician sees flags at once.
    for patient in patients:
        today = now.astimezone(patient.patient_profile.zone).date()
        flags_evaluate(patient_id=patient.pk, today=today)
    return True


def _save(entries: list[JournalEntry]) -> None:
    by_model: dict[type[JournalEntry], list[JournalEntry]] = defaultdict(list)
    for entry in entries:
        entry.full_clean(
            exclude=["patient", "id"], validate_unique=False, validate_constraints=False
        )
        by_model[type(entry)].append(entry)
    for model, rows in by_model.items():
        model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


class PatientStory:
    """One patient's journal, day by day, up to ``now`` (or the day they stopped logging)."""

    def __init__(self, *, patient: User, persona: Persona, now: datetime) -> None:
        self.patient = patient
        self.persona = persona
        self.now = now
        self.zone = ZoneInfo(persona.timezone)
        # Seeded per persona: the same story every run, whatever the order of patients.
        self.rng = random.Random(f"{DEMO_SEED}:{persona.key}")
        self.recent_pain: list[int] = []

    def entries(self) -> list[JournalEntry]:
        until = self.now - timedelta(days=self.persona.stopped_days_ago)
        return [entry for entry in self._all_days() if _moment(entry) <= until]

    def _all_days(self) -> Iterator[JournalEntry]:
        # One extra day at the start, so at least 90 finished nights whatever the local hour.
        today = self.now.astimezone(self.zone).date()
        first = today - timedelta(days=HISTORY_DAYS + 1)
        for offset in range(HISTORY_DAYS + 2):
            day = first + timedelta(days=offset)
            progress = offset / (HISTORY_DAYS + 1)
            doses = self._doses(day, progress)
            yield from doses
            if self.rng.random() > 0.04:  # now and then a day's pain goes unrecorded
                yield self._pain(day, progress)
            if day.weekday() == 6:
                yield self._peg(day)
            sedated = any(d.substance != Substance.KRATOM for d in doses)
            yield self._night(day, progress, sedated=sedated)

    def _at(self, day: date, minutes: float) -> datetime:
        """Local wall time ``minutes`` after midnight of ``day`` (may run past midnight), in UTC."""
        local = datetime.combine(day, time(0), tzinfo=self.zone) + timedelta(minutes=round(minutes))
        return local.astimezone(UTC)

    def _between(self, day: date, start_h: float, end_h: float) -> datetime:
        return self._at(day, self.rng.uniform(start_h * 60, end_h * 60))

    # Use ------------------------------------------------------------------------------------

    def _doses(self, day: date, progress: float) -> list[UseEntry]:
        p = self.persona
        count = self.rng.choices((1, 2, 3), weights=p.doses_per_day)[0]
        if p.escalation and self.rng.random() < 2 * (progress - 0.6):
            count = min(3, count + 1)  # more doses a day as tolerance grows
        doses = [self._leaf_dose(day, progress, slot) for slot in DOSE_SLOTS[count]]
        if p.seven_oh and self.rng.random() < 0.1:
            doses.append(self._seven_oh(day))
        drinking_odds = 0.7 if day.weekday() in (4, 5) else 0.3  # more on Friday and Saturday
        if p.co_use == Substance.ALCOHOL and self.rng.random() < drinking_odds:
            doses.append(self._alcohol(day))
        if p.co_use == Substance.BENZODIAZEPINE and self.rng.random() < 0.7:
            doses.append(self._benzodiazepine(day))
        return doses

    def _leaf_dose(self, day: date, progress: float, slot: tuple[float, float]) -> UseEntry:
        p = self.persona
        evening = slot == EVENING
        usual = p.dose_g * (1.2 if evening else 1.0)  # the evening dose, for pain and sleep
        grams = usual * (1 + p.escalation * progress**4) * self.rng.uniform(0.85, 1.15)
        step = 0.5 if p.leaf_form == Form.CAPSULE else 0.25  # capsules hold 0.5 g
        grams = max(step, round(grams / step) * step)
        return UseEntry(
            patient=self.patient,
            taken_at=self._between(day, *slot),
            substance=Substance.KRATOM,
            amount=Decimal(str(grams)),
            unit=Unit.G,
            form=p.leaf_form,
            mixed_with=self._mixed_with(),
            reason=self._reason(evening=evening, progress=progress),
        )

    def _mixed_with(self) -> MixedWith:
        if self.persona.leaf_form == Form.TEA:
            return MixedWith.WARM_WATER
        if self.persona.leaf_form == Form.CAPSULE:
            return MixedWith.WATER
        return self.rng.choice((MixedWith.WATER, MixedWith.JUICE, MixedWith.WARM_WATER))

    def _reason(self, *, evening: bool, progress: float) -> Reason:
        if self.persona.escalation and not evening and self.rng.random() < 0.3 * progress:
            return Reason.WITHDRAWAL
        if evening:
            return self.rng.choices((Reason.PAIN, Reason.SLEEP, Reason.MOOD), (6, 3, 1))[0]
        return self.rng.choices((Reason.PAIN, Reason.ENERGY, Reason.MOOD), (6, 3, 1))[0]

    def _seven_oh(self, day: date) -> UseEntry:
        return UseEntry(
            patient=self.patient,
            taken_at=self._between(day, 15.0, 18.0),
            substance=Substance.KRATOM,
            amount=Decimal(self.rng.choice((10, 15, 20))),
            unit=Unit.MG,
            form=Form.SEVEN_OH,
            product="7-OH tablet",
            reason=Reason.PAIN,
        )

    def _alcohol(self, day: date) -> UseEntry:
        return UseEntry(
            patient=self.patient,
            taken_at=self._between(day, 18.5, 21.0),
            substance=Substance.ALCOHOL,
            amount=Decimal(self.rng.choice((1, 2, 2, 3, 4))),
            unit=Unit.STANDARD_DRINK,
            form=Form.LIQUID,
            product=self.rng.choice(("beer", "wine")),
            reason=Reason.MOOD,
        )

    def _benzodiazepine(self, day: date) -> UseEntry:
        bedtime_h = self.persona.bedtime_min / 60
        return UseEntry(
            patient=self.patient,
            taken_at=self._between(day, bedtime_h - 1.0, bedtime_h - 0.25),
            substance=Substance.BENZODIAZEPINE,
            amount=Decimal(self.rng.choice(("0.5", "0.5", "1"))),
            unit=Unit.MG,
            form=Form.TABLET,
            product="lorazepam",
            reason=Reason.SLEEP,
        )

    # Pain -----------------------------------------------------------------------------------

    def _pain(self, day: date, progress: float) -> PainEntry:
        p = self.persona
        weekly = 0.6 * math.sin(2 * math.pi * day.toordinal() / 7)
        worsening = 1.5 * progress if p.escalation else 0.0
        intensity = _clamp(p.pain + weekly + worsening + self.rng.gauss(0, 0.9), 0, 10)
        self.recent_pain = [*self.recent_pain[-6:], intensity]
        return PainEntry(
            patient=self.patient,
            recorded_at=self._between(day, 20.0, 21.75),
            intensity=intensity,
            locations=[str(location) for location in p.locations],
        )

    def _peg(self, day: date) -> PegAssessment:
        week = self.recent_pain or [round(self.persona.pain)]
        average = _clamp(sum(week) / len(week) + self.rng.gauss(0, 0.5), 0, 10)
        return PegAssessment(
            patient=self.patient,
            recorded_at=self._between(day, 10.0, 12.0),
            pain_average=average,
            enjoyment_interference=_clamp(average + self.rng.randint(-2, 1), 0, 10),
            activity_interference=_clamp(average + self.rng.randint(-2, 1), 0, 10),
        )

    # Sleep ----------------------------------------------------------------------------------

    def _night(self, night_of: date, progress: float, *, sedated: bool) -> SleepEntry:
        p, rng = self.persona, self.rng
        restless = 1.0 + (progress * p.escalation / 2) + (0.3 if sedated else 0.0)
        bedtime = self._at(night_of, p.bedtime_min + rng.gauss(0, 25))
        lights_out = bedtime + timedelta(minutes=rng.randint(0, 30))
        window = _clamp(rng.gauss(450, 35), 330, 570)  # lights out to final awakening, minutes
        if p.poor_sleeper:
            latency = round(rng.uniform(25, 80))
            awakenings = rng.randint(2, 5)
            awake = round(awakenings * rng.uniform(12, 30) * restless)
            lie_in = rng.randint(15, 60)
        else:
            latency = round(rng.expovariate(1 / 12) * restless) + 3
            awakenings = rng.randint(0, 2) + (1 if sedated and rng.random() < 0.5 else 0)
            awake = round(awakenings * rng.uniform(3, 12) * restless)
            lie_in = rng.randint(3, 25)
        latency = min(latency, window // 3)
        awake = min(awake, window - latency - 180)  # at least three hours asleep
        final_wake = lights_out + timedelta(minutes=window)
        entry = SleepEntry(
            patient=self.patient,
            night_of=night_of_for(bedtime, self.zone),
            bedtime=bedtime,
            lights_out_at=lights_out,
            sleep_onset_latency_min=latency,
            awakenings=awakenings,
            wake_after_sleep_onset_min=awake,
            final_wake_at=final_wake,
            rise_at=final_wake + timedelta(minutes=lie_in),
        )
        # People rate a night roughly by how much of it they slept: SE 65% ≈ 2, 90% ≈ 4.
        efficiency = float(entry.sleep_efficiency_pct)
        entry.quality = _clamp((efficiency - 45) / 11 + rng.gauss(0, 0.6), 1, 5)
        return entry


def _moment(entry: JournalEntry) -> datetime:
    """The latest time an entry states: a sleep diary is written after rising."""
    if isinstance(entry, SleepEntry):
        return entry.rise_at
    moment: datetime = getattr(entry, entry.moment_field)
    return moment
