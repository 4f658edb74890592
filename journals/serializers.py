"""Shapes of journal entries on the wire. Types and ranges only; the domain rules run in
the services (``journals.services``), so the API and the pages apply the same ones."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from journals.choices import PainLocation
from journals.models import (
    NOTE_MAX,
    Flag,
    PainEntry,
    PatientThresholds,
    PegAssessment,
    ReminderSettings,
    Review,
    SleepEntry,
    UseEntry,
)
from journals.thresholds import THRESHOLD_FIELDS
from patients.models import User

ENTRY_META_FIELDS = ("id", "patient", "note", "created_at", "updated_at")
READ_ONLY = ("patient", "created_at", "updated_at")


class AwareDateTimeField(serializers.DateTimeField):
    """A journal time must carry its UTC offset: a naive one (or a bare date) is refused
    rather than silently read as UTC, which would shift it by the patient's offset."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-01T21:30:00+01:00.",
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)

    def default_timezone(self) -> Any:
        """The active zone, read once per field: a field lives for one request, and reading
        the zone (a context-local) took a third of a 50-entry list's serialization."""
        if not hasattr(self, "_zone"):
            self._zone = super().default_timezone()
        return self._zone


class EntrySerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }
    id = serializers.UUIDField(
        required=False,
        help_text="Optional on create: a client-chosen UUID makes the POST safe to repeat.",
    )
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True)

    def validate_id(self, value: Any) -> Any:
        if self.instance is not None and value != self.instance.pk:
            raise serializers.ValidationError("An entry's id cannot be changed.")
        return value


class PainEntrySerializer(EntrySerializer):
    locations = serializers.ListField(
        child=serializers.ChoiceField(choices=PainLocation.choices),
        required=False,
        max_length=len(PainLocation.values),
    )

    class Meta:
        model = PainEntry
        fields = (*ENTRY_META_FIELDS, *PainEntry.answer_fields)
        read_only_fields = READ_ONLY


class PegAssessmentSerializer(EntrySerializer):
    score = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        read_only=True,
        help_text="Mean of the three items, one decimal (LOINC 91147-9).",
    )

    class Meta:
        model = PegAssessment
        fields = (*ENTRY_META_FIELDS, *PegAssessment.answer_fields, "score")
        read_only_fields = READ_ONLY


class SleepEntrySerializer(EntrySerializer):
    time_in_bed_min = serializers.IntegerField(read_only=True)
    total_sleep_min = serializers.IntegerField(read_only=True)
    sleep_efficiency_pct = serializers.DecimalField(max_digits=4, decimal_places=1, read_only=True)

    class Meta:
        model = SleepEntry
        fields = (
            *ENTRY_META_FIELDS,
            *SleepEntry.answer_fields,
            "time_in_bed_min",
            "total_sleep_min",
            "sleep_efficiency_pct",
        )
        read_only_fields = READ_ONLY
        validators: list[Any] = []  # one night per patient is checked by the service


class UseEntrySerializer(EntrySerializer):
    amount = serializers.DecimalField(
        max_digits=8, decimal_places=3, min_value=Decimal("0.001"), coerce_to_string=False
    )

    class Meta:
        model = UseEntry
        fields = (*ENTRY_META_FIELDS, *UseEntry.answer_fields)
        read_only_fields = READ_ONLY


class DateRangeSerializer(serializers.Serializer):
    """``?since=&until=``: local dates in the patient's zone, both inclusive."""

    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until < since:
            raise serializers.ValidationError({"until": ["until must not be before since."]})
        return attrs


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "HH:MM"}
)
class ClockTimeField(serializers.TimeField):
    """A local clock time as ``HH:MM`` (OpenAPI's ``time`` format would want seconds)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class ReminderSettingsSerializer(serializers.ModelSerializer):
    """Local times in the patient's own zone."""

    evening_time = ClockTimeField()
    morning_time = ClockTimeField()
    quiet_start = ClockTimeField()
    quiet_end = ClockTimeField()

    class Meta:
        model = ReminderSettings
        fields = ReminderSettings.setting_fields


class FlagEvidenceSerializer(serializers.Serializer):
    """One entry a rule saw, with the values that made it count."""

    entry_id = serializers.UUIDField(read_only=True, help_text="The journal entry's id.")
    kind = serializers.CharField(read_only=True, help_text="The kind of entry, e.g. use, pain.")
    at = serializers.CharField(
        read_only=True,
        help_text="When it happened: ISO 8601 with UTC offset (a sleep diary: its night, "
        "a local date).",
    )
    values = serializers.DictField(read_only=True, help_text="The entry's values the rule used.")


class FlagSerializer(serializers.ModelSerializer):
    """A safety flag. ``patient`` is the patient's id; ``acknowledged_by`` and
    ``resolved_by`` are clinicians' ids. Resolving an open flag acknowledges it too."""

    evidence = FlagEvidenceSerializer(many=True, read_only=True)
    note = serializers.SerializerMethodField(
        help_text="Deprecated: the resolution note if there is one, else the acknowledgement "
        "note. Read acknowledgement_note and resolution_note instead."
    )

    class Meta:
        model = Flag
        fields = (
            "id",
            "patient",
            "rule",
            "severity",
            "status",
            "window_start",
            "window_end",
            "evidence",
            "created_at",
            "updated_at",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledgement_note",
            "resolved_by",
            "resolved_at",
            "resolution_note",
            "note",
        )
        read_only_fields = fields
        extra_kwargs = {
            "acknowledgement_note": {"help_text": "The acknowledging clinician's note."},
            "resolution_note": {"help_text": "The resolving clinician's note."},
        }

    @extend_schema_field({"type": "string", "deprecated": True})
    def get_note(self, flag: Flag) -> str:
        """What ``note`` held when a flag kept one note, for clients written then."""
        return flag.resolution_note or flag.acknowledgement_note


class FlagNoteSerializer(serializers.Serializer):
    """What a clinician may add when acknowledging or resolving a flag."""

    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True)


class ThresholdOverridesSerializer(serializers.ModelSerializer):
    """A patient's own thresholds: ``null`` (or left out) means the clinic's default.

    Ranges come from the model fields' validators."""

    class Meta:
        model = PatientThresholds
        fields = THRESHOLD_FIELDS


class ThresholdValuesSerializer(ThresholdOverridesSerializer):
    """A complete set of thresholds, every value given."""

    class Meta(ThresholdOverridesSerializer.Meta):
        read_only_fields = THRESHOLD_FIELDS
        extra_kwargs = {name: {"allow_null": False} for name in THRESHOLD_FIELDS}


class PatientThresholdsSerializer(ThresholdOverridesSerializer):
    """The care team's overrides, with what the rules use and the clinic's defaults."""

    effective = ThresholdValuesSerializer(
        read_only=True, help_text="The values in effect: the overrides, else the clinic's."
    )
    clinic_defaults = ThresholdValuesSerializer(
        read_only=True, help_text="The clinic's defaults (CLINICAL.md's, unless it set its own)."
    )

    class Meta(ThresholdOverridesSerializer.Meta):
        fields = (*THRESHOLD_FIELDS, "effective", "clinic_defaults")


class ReviewerSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "display_name")
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    """A clinician marked the patient reviewed up to ``reviewed_at``."""

    clinician = ReviewerSerializer(read_only=True)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True)

    class Meta:
        model = Review
        fields = ("id", "patient", "clinician", "reviewed_at", "note")
        read_only_fields = ("id", "patient", "clinician", "reviewed_at")
