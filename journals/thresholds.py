"""The flag rules' thresholds: CLINICAL.md's defaults, a clinic's own, a patient's overrides."""

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from journals.models import ClinicThresholds, PatientThresholds
from patients.models import User


@dataclass(frozen=True)
class Thresholds:
    co_use_window_hours: int = 6
    single_dose_g: Decimal = Decimal(5)
    daily_total_g: Decimal = Decimal(15)
    escalation_ratio: Decimal = Decimal("1.5")
    escalation_min_increase_g: Decimal = Decimal(2)
    frequent_doses_per_day: int = 3
    pain_rise_points: Decimal = Decimal(2)
    pain_high: int = 9
    poor_sleep_efficiency_pct: Decimal = Decimal(85)
    poor_sleep_total_min: int = 300
    stopped_logging_days: int = 3


THRESHOLD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Thresholds))
CLINICAL_DEFAULTS = Thresholds()


def overlay(base: Thresholds, row: ClinicThresholds | PatientThresholds | None) -> Thresholds:
    """``base`` with the values ``row`` sets (a blank one keeps ``base``'s)."""
    if row is None:
        return base
    given: dict[str, Any] = {
        name: getattr(row, name) for name in THRESHOLD_FIELDS if getattr(row, name) is not None
    }
    return replace(base, **given)


def clinic_thresholds(*, clinic_id: int) -> Thresholds:
    return overlay(CLINICAL_DEFAULTS, ClinicThresholds.objects.filter(pk=clinic_id).first())


def effective_thresholds(*, patient: User) -> Thresholds:
    """What the rules use for a patient: their overrides, else the clinic's, else the defaults."""
    clinic_level = clinic_thresholds(clinic_id=patient.patient_profile.clinic_id)
    return overlay(clinic_level, PatientThresholds.objects.filter(pk=patient.pk).first())
