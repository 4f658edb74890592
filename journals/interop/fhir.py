"""A patient's journal as a FHIR R4 ``Bundle`` (type ``collection``), codes per CLINICAL.md.

What goes in:

- one ``Patient``: its ``id`` is the user's UUID; nothing else identifying (no name, email
  or birth date): the clinic knows whose id it is, and the file may travel.
- one ``Observation`` per measured item:

  - pain: LOINC 72514-3, ``valueInteger``;
  - PEG: the items 75893-8, 91145-3, 91146-1 (``valueInteger``), the score 91147-9
    (``valueQuantity`` in ``{score}``) and the panel 91148-7, whose ``hasMember`` names
    the other four;
  - sleep diary, each with ``effectivePeriod`` bedtime → rise: total sleep time LOINC
    93832-4 (also coded ``totalSleepTime`` in the HL7 PHR sleep-episode codes), latency to
    sleep onset, wake after sleep onset and number of awakenings in the PHR codes, and
    time in bed, sleep efficiency and sleep quality in the project CodeSystem below
    (no LOINC or PHR code fits them);
  - use: category ``social-history``, a project code per substance (kratom split by leaf,
    extract and 7-OH product, whose amounts are not comparable), ``valueQuantity`` in
    UCUM ``g``, ``mg``, ``{standard_drink}`` or ``{tablet}``, ``effectiveDateTime`` the time
    taken, and form, preparation (``mixed_with``), reason and product as components.

Every Observation has ``status`` ``final``, ``subject`` the Patient, an ``identifier`` with
the entry's UUID (``urn:ietf:rfc:3986``, ``urn:uuid:…``) and an ``id`` that is
``uuid5(OBSERVATION_NAMESPACE, "<entry uuid>|<code system>|<code>")``: a re-export gives the
same ids. ``fullUrl`` is ``urn:uuid:<id>`` and references use those, so they resolve inside
the bundle. Times are written with the UTC offset of the patient's own zone.

The project's codes live in one CodeSystem family under ``MITRA_FHIR_BASE``:

- ``MITRA_CODES`` (``…/CodeSystem/journal``): observation codes (``time-in-bed``,
  ``sleep-efficiency``, ``sleep-quality``, substances: ``kratom-leaf``, …, and the
  component codes ``use-form``, ``use-mixed-with``, ``use-reason``, ``use-product``);
- ``MITRA_USE_FORMS``, ``MITRA_MIXED_WITH``, ``MITRA_REASONS``: the values of those
  components, the same words the API uses (``journals.choices``).

These URLs are names, not addresses that must resolve; they must never change once
exported.
"""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from journals.choices import (
    KRATOM_CONCENTRATE_FORMS,
    KRATOM_LEAF_FORMS,
    Form,
    MixedWith,
    Reason,
    Substance,
    Unit,
)
from journals.models import JournalEntry, PainEntry, PegAssessment, SleepEntry, UseEntry
from journals.selectors import entries_for_export
from patients.models import User

FHIR_JSON = "application/fhir+json"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PHR_SLEEP = "http://hl7.org/fhir/uv/phr/CodeSystem/sleep-episode-codes"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
URI_IDENTIFIER = "urn:ietf:rfc:3986"  # an identifier that is itself a URI (urn:uuid:…)

# The project's canonical base: defined here once, documented above, never to change.
MITRA_FHIR_BASE = "https://mitra.health/fhir"
MITRA_CODES = f"{MITRA_FHIR_BASE}/CodeSystem/journal"
MITRA_USE_FORMS = f"{MITRA_FHIR_BASE}/CodeSystem/use-form"
MITRA_MIXED_WITH = f"{MITRA_FHIR_BASE}/CodeSystem/use-mixed-with"
MITRA_REASONS = f"{MITRA_FHIR_BASE}/CodeSystem/use-reason"

# Fixed forever: Observation ids are uuid5 of this and "<entry uuid>|<system>|<code>".
OBSERVATION_NAMESPACE = uuid.UUID("0b6f3a52-6c1e-5d0e-9a63-7f2d4c1b9e10")

Coding = tuple[str, str, str]  # (system, code, display)

PAIN_NRS: Coding = (
    LOINC,
    "72514-3",
    "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
)
PEG_PANEL: Coding = (LOINC, "91148-7", "Pain, Enjoyment of life, General activity (PEG) panel")
PEG_ITEMS: dict[str, Coding] = {
    "pain_average": (LOINC, "75893-8", "Pain average in the past week"),
    "enjoyment_interference": (
        LOINC,
        "91145-3",
        "How pain has interfered with enjoyment of life in the past week",
    ),
    "activity_interference": (
        LOINC,
        "91146-1",
        "How pain has interfered with general activity in the past week",
    ),
}
PEG_SCORE: Coding = (LOINC, "91147-9", "PEG score")
SLEEP_DURATION: Coding = (LOINC, "93832-4", "Sleep duration")
PHR_TOTAL_SLEEP: Coding = (PHR_SLEEP, "totalSleepTime", "Total sleep time")
SLEEP_LATENCY: Coding = (PHR_SLEEP, "latencyToSleepOnset", "Latency to sleep onset")
SLEEP_WASO: Coding = (PHR_SLEEP, "wakeAfterSleepOnset", "Wake after sleep onset")
SLEEP_AWAKENINGS: Coding = (PHR_SLEEP, "numberOfAwakenings", "Number of awakenings")
TIME_IN_BED: Coding = (MITRA_CODES, "time-in-bed", "Time in bed")
SLEEP_EFFICIENCY: Coding = (MITRA_CODES, "sleep-efficiency", "Sleep efficiency")
SLEEP_QUALITY: Coding = (
    MITRA_CODES,
    "sleep-quality",
    "Sleep quality (1 very poor, 2 poor, 3 fair, 4 good, 5 very good)",
)
# (substance, form class) -> code. Kratom leaf grams, extract and 7-OH milligrams are
# different things (CLINICAL.md), so each has its own code.
SUBSTANCE_CODES: dict[str, Coding] = {
    "kratom-leaf": (MITRA_CODES, "kratom-leaf", "Kratom (Mitragyna speciosa) leaf"),
    "kratom-extract": (MITRA_CODES, "kratom-extract", "Kratom (Mitragyna speciosa) extract"),
    "kratom-7-oh": (
        MITRA_CODES,
        "kratom-7-oh",
        "Kratom 7-hydroxymitragynine (7-OH) product",
    ),
    "kratom": (MITRA_CODES, "kratom", "Kratom (Mitragyna speciosa) product"),
    Substance.ALCOHOL: (MITRA_CODES, "alcohol", "Alcohol (ethanol)"),
    Substance.BENZODIAZEPINE: (MITRA_CODES, "benzodiazepine", "Benzodiazepine"),
    Substance.OPIOID: (MITRA_CODES, "opioid", "Opioid"),
    Substance.GABAPENTINOID: (MITRA_CODES, "gabapentinoid", "Gabapentinoid"),
    Substance.CANNABIS: (MITRA_CODES, "cannabis", "Cannabis"),
    Substance.OTHER_SEDATIVE: (
        MITRA_CODES,
        "other-sedative",
        "Other sedative (z-drug, sedating antihistamine, …)",
    ),
    Substance.OTHER: (MITRA_CODES, "other-substance", "Other substance"),
}
USE_FORM: Coding = (MITRA_CODES, "use-form", "Form of the product")
USE_MIXED_WITH: Coding = (MITRA_CODES, "use-mixed-with", "Taken mixed with (preparation)")
USE_REASON: Coding = (MITRA_CODES, "use-reason", "Reason for taking")
USE_PRODUCT: Coding = (MITRA_CODES, "use-product", "Product name, as the patient wrote it")
# UCUM: (code, human-readable unit)
USE_UNITS: dict[str, tuple[str, str]] = {
    Unit.G: ("g", "g"),
    Unit.MG: ("mg", "mg"),
    Unit.STANDARD_DRINK: ("{standard_drink}", "standard drink"),
    Unit.TABLET: ("{tablet}", "tablet"),
}
SURVEY = "survey"
SOCIAL_HISTORY = "social-history"


def journal_bundle(
    *, patient: User, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """The patient's journal in [since, until] (local dates, inclusive) as a Bundle.

    Reads four queries, one per kind of entry, however many entries.
    """
    zone = patient.patient_profile.zone
    builder = _Builder(patient=patient, zone=zone)
    for model in (PainEntry, PegAssessment, SleepEntry, UseEntry):
        for entry in entries_for_export(
            model, patient=patient, zone=zone, since=since, until=until
        ):
            builder.add_entry(entry)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": _instant(timezone.now(), zone),
        "entry": builder.entries,
    }


def observation_id(entry_id: uuid.UUID, coding: Coding) -> str:
    """Stable across exports: derived from the entry's UUID and the Observation's code."""
    system, code, _ = coding
    return str(uuid.uuid5(OBSERVATION_NAMESPACE, f"{entry_id}|{system}|{code}"))


def substance_coding(entry: UseEntry) -> Coding:
    if entry.substance == Substance.KRATOM:
        if entry.form in KRATOM_LEAF_FORMS:
            return SUBSTANCE_CODES["kratom-leaf"]
        if entry.form == Form.SEVEN_OH:
            return SUBSTANCE_CODES["kratom-7-oh"]
        if entry.form in KRATOM_CONCENTRATE_FORMS:
            return SUBSTANCE_CODES["kratom-extract"]
        return SUBSTANCE_CODES["kratom"]
    return SUBSTANCE_CODES[entry.substance]


def _instant(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat()


def _concept(*codings: Coding, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {
        "coding": [{"system": s, "code": c, "display": d} for s, c, d in codings]
    }
    if text:
        concept["text"] = text
    return concept


def _category(code: str) -> list[dict[str, Any]]:
    display = {SURVEY: "Survey", SOCIAL_HISTORY: "Social History"}[code]
    return [_concept((OBSERVATION_CATEGORY, code, display))]


def _quantity(value: Decimal | int, code: str, unit: str | None = None) -> dict[str, Any]:
    return {"value": _number(value), "unit": unit or code, "system": UCUM, "code": code}


def _number(value: Decimal | int) -> int | float:
    if isinstance(value, int):
        return value
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class _Builder:
    """Collects the bundle's entries: the Patient first, then Observations in order."""

    def __init__(self, *, patient: User, zone: ZoneInfo) -> None:
        self.zone = zone
        self.patient_ref = f"urn:uuid:{patient.pk}"
        self.entries: list[dict[str, Any]] = [
            {
                "fullUrl": self.patient_ref,
                "resource": {
                    "resourceType": "Patient",
                    "id": str(patient.pk),
                    "identifier": [{"system": URI_IDENTIFIER, "value": self.patient_ref}],
                    "active": patient.is_active,
                },
            }
        ]

    def add_entry(self, entry: JournalEntry) -> None:
        if isinstance(entry, PainEntry):
            self._pain(entry)
        elif isinstance(entry, PegAssessment):
            self._peg(entry)
        elif isinstance(entry, SleepEntry):
            self._sleep(entry)
        elif isinstance(entry, UseEntry):
            self._use(entry)
        else:  # pragma: no cover - every journal model is handled above
            raise TypeError(type(entry).__name__)

    def _observation(
        self,
        entry: JournalEntry,
        coding: Coding,
        *,
        category: str,
        value: dict[str, Any],
        effective: dict[str, Any],
        extra_codings: Iterable[Coding] = (),
        note: str = "",
        **fields: Any,
    ) -> str:
        """Add one Observation; returns its fullUrl for references."""
        resource_id = observation_id(entry.pk, coding)
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": resource_id,
            "identifier": [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{entry.pk}"}],
            "status": "final",
            "category": _category(category),
            "code": _concept(coding, *extra_codings),
            "subject": {"reference": self.patient_ref},
            **effective,
            **value,
            **fields,
        }
        if note:
            resource["note"] = [{"text": note}]
        full_url = f"urn:uuid:{resource_id}"
        self.entries.append({"fullUrl": full_url, "resource": resource})
        return full_url

    def _at(self, moment: datetime) -> dict[str, Any]:
        return {"effectiveDateTime": _instant(moment, self.zone)}

    def _pain(self, entry: PainEntry) -> None:
        notes = []
        if entry.locations:
            notes.append("Where: " + ", ".join(entry.locations).replace("_", " "))
        if entry.note:
            notes.append(entry.note)
        self._observation(
            entry,
            PAIN_NRS,
            category=SURVEY,
            value={"valueInteger": entry.intensity},
            effective=self._at(entry.recorded_at),
            note="\n".join(notes),
        )

    def _peg(self, entry: PegAssessment) -> None:
        effective = self._at(entry.recorded_at)
        members = [
            self._observation(
                entry,
                coding,
                category=SURVEY,
                value={"valueInteger": getattr(entry, field)},
                effective=effective,
            )
            for field, coding in PEG_ITEMS.items()
        ]
        members.append(
            self._observation(
                entry,
                PEG_SCORE,
                category=SURVEY,
                value={"valueQuantity": _quantity(entry.score, "{score}")},
                effective=effective,
            )
        )
        self._observation(
            entry,
            PEG_PANEL,
            category=SURVEY,
            value={},
            effective=effective,
            note=entry.note,
            hasMember=[{"reference": url} for url in members],
        )

    def _sleep(self, entry: SleepEntry) -> None:
        period = {
            "effectivePeriod": {
                "start": _instant(entry.bedtime, self.zone),
                "end": _instant(entry.rise_at, self.zone),
            }
        }
        minutes: list[tuple[Coding, int, tuple[Coding, ...]]] = [
            (SLEEP_DURATION, entry.total_sleep_min, (PHR_TOTAL_SLEEP,)),
            (SLEEP_LATENCY, entry.sleep_onset_latency_min, ()),
            (SLEEP_WASO, entry.wake_after_sleep_onset_min, ()),
            (TIME_IN_BED, entry.time_in_bed_min, ()),
        ]
        for coding, value, extra in minutes:
            self._observation(
                entry,
                coding,
                category=SURVEY,
                value={"valueQuantity": _quantity(value, "min")},
                effective=period,
                extra_codings=extra,
                note=entry.note if coding is SLEEP_DURATION else "",
            )
        self._observation(
            entry,
            SLEEP_AWAKENINGS,
            category=SURVEY,
            value={"valueQuantity": _quantity(entry.awakenings, "{count}")},
            effective=period,
        )
        self._observation(
            entry,
            SLEEP_EFFICIENCY,
            category=SURVEY,
            value={"valueQuantity": _quantity(entry.sleep_efficiency_pct, "%")},
            effective=period,
        )
        self._observation(
            entry,
            SLEEP_QUALITY,
            category=SURVEY,
            value={"valueInteger": entry.quality},
            effective=period,
        )

    def _use(self, entry: UseEntry) -> None:
        code, unit = USE_UNITS[entry.unit]
        components: list[dict[str, Any]] = [
            {
                "code": _concept(USE_FORM),
                "valueCodeableConcept": _concept(
                    (MITRA_USE_FORMS, entry.form, _label(Form, entry.form))
                ),
            },
            {
                "code": _concept(USE_MIXED_WITH),
                "valueCodeableConcept": _concept(
                    (MITRA_MIXED_WITH, entry.mixed_with, _label(MixedWith, entry.mixed_with))
                ),
            },
        ]
        if entry.reason:
            components.append(
                {
                    "code": _concept(USE_REASON),
                    "valueCodeableConcept": _concept(
                        (MITRA_REASONS, entry.reason, _label(Reason, entry.reason))
                    ),
                }
            )
        if entry.product:
            components.append({"code": _concept(USE_PRODUCT), "valueString": entry.product})
        self._observation(
            entry,
            substance_coding(entry),
            category=SOCIAL_HISTORY,
            value={"valueQuantity": _quantity(entry.amount, code, unit)},
            effective=self._at(entry.taken_at),
            note=entry.note,
            component=components,
        )
