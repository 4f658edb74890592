"""The clinician's patient page forms: threshold overrides, flag notes, reviews."""

from typing import Any

from django import forms

from journals.models import (
    NOTE_MAX,
    PatientThresholds,
    Review,
)
from journals.text import plain_number
from journals.thresholds import THRESHOLD_FIELDS, Thresholds, overlay

# The clinician's patient page ------------------------------------------------------------------

THRESHOLD_LABELS = {
    "co_use_window_hours": "Co-use: kratom within this many hours of alcohol or a sedative",
    "single_dose_g": "High single dose: one leaf dose above (g)",
    "daily_total_g": "High daily total: leaf grams in one day above (g)",
    "escalation_ratio": "Rising doses: 7-day mean at least this many times the 28-day mean",
    "escalation_min_increase_g": "Rising doses: and at least this much more per day (g)",
    "frequent_doses_per_day": "Frequent use: this many kratom doses in one day",
    "pain_rise_points": "Pain worsening: 3-day mean this many points above the 28-day mean",
    "pain_high": "Pain worsening: any pain rating of at least",
    "poor_sleep_efficiency_pct": "Poor sleep: sleep efficiency below (%)",
    "poor_sleep_total_min": "Poor sleep: or total sleep below (minutes)",
    "stopped_logging_days": "Stopped logging: nothing logged for this many days",
}


class ThresholdOverridesForm(forms.ModelForm):
    """The care team's overrides for one patient: a blank field keeps the clinic default.

    Each field's help text shows the value in effect and the clinic default.
    """

    class Meta:
        model = PatientThresholds
        fields = list(THRESHOLD_FIELDS)
        labels = THRESHOLD_LABELS

    def __init__(self, *args: Any, clinic_defaults: Thresholds, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The saved overrides, read before any posted value reaches the instance.
        self.in_effect = overlay(clinic_defaults, self.instance)
        for name, field in self.fields.items():
            default = getattr(clinic_defaults, name)
            field.help_text = (
                f"In effect: {plain_number(getattr(self.in_effect, name))}. "
                f"Clinic default: {plain_number(default)}. "
                "Leave blank for the clinic default."
            )
            is_decimal = isinstance(field, forms.DecimalField)
            field.widget.attrs["inputmode"] = "decimal" if is_decimal else "numeric"

    def overrides(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in THRESHOLD_FIELDS}


class FlagNoteForm(forms.Form):
    """A clinician's note on acknowledging or resolving a flag."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewForm(forms.ModelForm):
    """ "Mark reviewed up to now", with an optional note for the care team."""

    class Meta:
        model = Review
        fields = ["note"]
        labels = {"note": "Review note (optional, seen by the care team only)"}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
