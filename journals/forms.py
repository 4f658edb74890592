"""Page forms for journal entries. Like the API's serializers they only read types and
ranges; the domain rules run in ``journals.services`` for pages and API alike, and
``apply_service_errors`` puts their messages next to the fields they name."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from journals.choices import PainLocation
from journals.models import PainEntry, PegAssessment, ReminderSettings, SleepEntry, UseEntry


class LocalDateTimeInput(forms.DateTimeInput):
    """A phone's native date-and-time picker; read in the patient's own zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class EntryForm(forms.ModelForm):
    Meta: Any
    """Fields only: the service validates the entry as a whole (see module docstring)."""

    def _post_clean(self) -> None:
        """Skip ModelForm's model validation; ``journals.services`` runs the rules once."""

    def entry_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def apply_service_errors(self, exc: ValidationError) -> None:
        for field, errors in exc.update_error_dict({}).items():
            self.add_error(field if field in self.fields else None, errors)


NRS_CHOICES = [(n, str(n)) for n in range(11)]


class PainEntryForm(EntryForm):
    locations = forms.MultipleChoiceField(
        choices=PainLocation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Where is the pain?",
    )

    class Meta:
        model = PainEntry
        fields = ["recorded_at", "intensity", "locations", "note"]
        labels = {
            "recorded_at": "When",
            "intensity": "Your pain right now (0 no pain, 10 worst pain imaginable)",
            "note": "Anything else about your pain?",
        }
        widgets = {
            "recorded_at": LocalDateTimeInput(),
            "intensity": forms.RadioSelect(choices=NRS_CHOICES),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class PegAssessmentForm(EntryForm):
    class Meta:
        model = PegAssessment
        fields = [
            "recorded_at",
            "pain_average",
            "enjoyment_interference",
            "activity_interference",
            "note",
        ]
        labels = {
            "recorded_at": "When",
            "pain_average": (
                "What number best describes your pain on average in the past week? "
                "(0 no pain, 10 pain as bad as you can imagine)"
            ),
            "enjoyment_interference": (
                "What number best describes how, during the past week, pain has interfered "
                "with your enjoyment of life? (0 does not interfere, 10 completely interferes)"
            ),
            "activity_interference": (
                "What number best describes how, during the past week, pain has interfered "
                "with your general activity? (0 does not interfere, 10 completely interferes)"
            ),
        }
        widgets = {
            "recorded_at": LocalDateTimeInput(),
            "pain_average": forms.RadioSelect(choices=NRS_CHOICES),
            "enjoyment_interference": forms.RadioSelect(choices=NRS_CHOICES),
            "activity_interference": forms.RadioSelect(choices=NRS_CHOICES),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class SleepEntryForm(EntryForm):
    class Meta:
        model = SleepEntry
        fields = [
            "night_of",
            "bedtime",
            "lights_out_at",
            "sleep_onset_latency_min",
            "awakenings",
            "wake_after_sleep_onset_min",
            "final_wake_at",
            "rise_at",
            "quality",
            "note",
        ]
        labels = {
            "night_of": "The night that began on the evening of",
            "bedtime": "What time did you get into bed?",
            "lights_out_at": "What time did you try to go to sleep?",
            "sleep_onset_latency_min": "How long did it take you to fall asleep? (minutes)",
            "awakenings": ("How many times did you wake up, not counting your final awakening?"),
            "wake_after_sleep_onset_min": "In total, how long did these awakenings last? (minutes)",
            "final_wake_at": "What time was your final awakening?",
            "rise_at": "What time did you get out of bed for the day?",
            "quality": "How would you rate the quality of your sleep?",
            "note": "Anything unusual? (illness, noise, pain that woke you)",
        }
        widgets = {
            "night_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "bedtime": LocalDateTimeInput(),
            "lights_out_at": LocalDateTimeInput(),
            "final_wake_at": LocalDateTimeInput(),
            "rise_at": LocalDateTimeInput(),
            "quality": forms.RadioSelect(
                choices=[
                    (1, "1 very poor"),
                    (2, "2 poor"),
                    (3, "3 fair"),
                    (4, "4 good"),
                    (5, "5 very good"),
                ]
            ),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class UseEntryForm(EntryForm):
    class Meta:
        model = UseEntry
        fields = [
            "taken_at",
            "substance",
            "amount",
            "unit",
            "form",
            "mixed_with",
            "product",
            "reason",
            "note",
        ]
        labels = {
            "taken_at": "Time taken",
            "mixed_with": "Mixed with",
            "product": "Product (optional)",
            "reason": "Main reason (optional)",
        }
        widgets = {
            "taken_at": LocalDateTimeInput(),
            "amount": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "min": "0"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


FORM_BY_KIND: dict[str, type[EntryForm]] = {
    "pain": PainEntryForm,
    "peg": PegAssessmentForm,
    "sleep": SleepEntryForm,
    "use": UseEntryForm,
}


class ReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = [
            "evening_enabled",
            "evening_time",
            "morning_enabled",
            "morning_time",
            "quiet_start",
            "quiet_end",
        ]
        labels = {
            "evening_enabled": "Remind me to do the evening check-in",
            "evening_time": "Evening reminder at",
            "morning_enabled": "Remind me to fill in the morning sleep diary",
            "morning_time": "Morning reminder at",
            "quiet_start": "Quiet hours start",
            "quiet_end": "Quiet hours end",
        }
        widgets = {
            "evening_time": TimeInput(),
            "morning_time": TimeInput(),
            "quiet_start": TimeInput(),
            "quiet_end": TimeInput(),
        }
