"""The patient's reminder settings form."""

from django import forms

from journals.forms import TimeInput
from journals.models import (
    ReminderSettings,
)


class ReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = ReminderSettings.setting_fields
        labels = {
            "evening_enabled": "Remind me to do the evening check-in",
            "evening_time": "Evening reminder at",
            "morning_enabled": "Remind me to fill in the morning sleep diary",
            "morning_time": "Morning reminder at",
            "quiet_start": "Quiet hours start",
            "quiet_end": "Quiet hours end",
            "follow_up_enabled": "After two days with nothing logged, send me one gentle note",
        }
        widgets = {
            "evening_time": TimeInput(),
            "morning_time": TimeInput(),
            "quiet_start": TimeInput(),
            "quiet_end": TimeInput(),
        }
