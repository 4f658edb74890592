from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import CareTeamMembership, Clinic, Invitation, Role, User
from patients.validators import validate_timezone


class ClinicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = ("id", "name")


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    clinic = serializers.SerializerMethodField()
    timezone = serializers.SerializerMethodField(help_text="IANA name; null for clinicians.")
    display_name = serializers.CharField(read_only=True)

    @extend_schema_field(ClinicSerializer(allow_null=True))
    def get_clinic(self, user: User) -> dict[str, Any] | None:
        clinic = user.clinic
        return ClinicSerializer(clinic).data if clinic else None

    def get_timezone(self, user: User) -> str | None:
        return user.patient_profile.timezone if user.is_patient else None


class MeUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    timezone = serializers.CharField(
        max_length=64, required=False, validators=[validate_timezone], help_text="Patients only."
    )


class PatientSerializer(serializers.ModelSerializer):
    timezone = serializers.CharField(source="patient_profile.timezone")
    date_of_birth = serializers.DateField(source="patient_profile.date_of_birth", allow_null=True)
    clinic = ClinicSerializer(source="patient_profile.clinic")

    class Meta:
        model = User
        fields = ("id", "email", "display_name", "timezone", "date_of_birth", "clinic")
        read_only_fields = fields


class ClinicianSummarySerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="clinician_profile.title")

    class Meta:
        model = User
        fields = ("id", "display_name", "email", "title")
        read_only_fields = fields


class CareTeamMembershipSerializer(serializers.ModelSerializer):
    clinician = ClinicianSummarySerializer(read_only=True)
    consent_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = CareTeamMembership
        fields = ("id", "clinician", "consent_active", "consent_granted_at", "consent_revoked_at")
        read_only_fields = fields


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ("id", "email", "created_at", "expires_at", "sent_at", "accepted_at")
        read_only_fields = ("id", "created_at", "expires_at", "sent_at", "accepted_at")


class OpenFlagCountsSerializer(serializers.Serializer):
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()


class PatientTriageSerializer(serializers.Serializer):
    """A patient with the triage figures of ``journals.triage`` (read from a ``TriageRow``)."""

    id = serializers.UUIDField(source="patient.id", read_only=True)
    email = serializers.EmailField(source="patient.email", read_only=True)
    display_name = serializers.CharField(source="patient.display_name", read_only=True)
    timezone = serializers.CharField(source="patient.patient_profile.timezone", read_only=True)
    date_of_birth = serializers.DateField(
        source="patient.patient_profile.date_of_birth", allow_null=True, read_only=True
    )
    clinic = ClinicSerializer(source="patient.patient_profile.clinic", read_only=True)
    open_flags = OpenFlagCountsSerializer(read_only=True, help_text="Open flags by severity.")
    highest_severity = serializers.ChoiceField(
        choices=["low", "medium", "high"],
        allow_null=True,
        read_only=True,
        help_text="The highest severity of the open flags; null without any.",
    )
    open_flag_rules = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Rule codes of the open flags."
    )
    unreviewed_entries = serializers.IntegerField(
        read_only=True,
        help_text="Entries of every kind created after the patient's latest review "
        "(all of them if never reviewed).",
    )
    last_entry_at = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="When the patient last logged an entry."
    )
    pain_7d_mean = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        allow_null=True,
        read_only=True,
        help_text="Mean of the daily mean NRS (0–10) over the 7 local days ending today.",
    )
    pain_trend = serializers.ChoiceField(
        choices=["up", "down", "flat"],
        allow_null=True,
        read_only=True,
        help_text="Against the 7 days before: up or down at 1 point or more; "
        "null when either week has no pain entry.",
    )
    kratom_7d_g_per_day = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        allow_null=True,
        read_only=True,
        help_text="Kratom leaf grams (powder, capsule, tea) per logged day, last 7 local days.",
    )
    sleep_efficiency_recent = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        read_only=True,
        help_text="Mean sleep efficiency (%) of the last 5 nights logged in the last 14 days.",
    )
