from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import (
    AuditAction,
    AuditEvent,
    CareTeamMembership,
    Clinic,
    Invitation,
    Role,
    User,
)
from patients.validators import validate_timezone


class ClinicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = ("id", "name")


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="The code from the authenticator app, or a backup code: needed by clinicians "
        "and by patients who turned on two-step sign-in.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    clinic = serializers.SerializerMethodField()
    timezone = serializers.SerializerMethodField(
        help_text="IANA name: a patient's days and reminders, a clinician's morning digest."
    )
    display_name = serializers.CharField(read_only=True)
    digest_enabled = serializers.SerializerMethodField(
        help_text="Clinicians: the morning summary email. Null for patients."
    )

    @extend_schema_field(ClinicSerializer(allow_null=True))
    def get_clinic(self, user: User) -> dict[str, Any] | None:
        clinic = user.clinic
        return ClinicSerializer(clinic).data if clinic else None

    def get_timezone(self, user: User) -> str | None:
        profile = user.profile
        return profile.timezone if profile is not None else None

    def get_digest_enabled(self, user: User) -> bool | None:
        return user.clinician_profile.digest_enabled if user.is_clinician else None


class MeUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    digest_enabled = serializers.BooleanField(required=False, help_text="Clinicians only.")


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
        allow_null=True,
        read_only=True,
        help_text="The time of the patient's latest entry (a pain rating's or a dose's time, "
        "a sleep diary's bedtime), whenever it was saved.",
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

    def to_representation(self, row: Any) -> dict[str, Any]:
        """The fields above, written out: DRF's generic walk (source lookups, a nested
        serializer each for the clinic and the counts) took a sixth of a 50-patient page
        (issue #8). Times and decimals still go through their fields; a test holds this to
        DRF's own output."""
        patient, fields = row.patient, self.fields
        profile = patient.patient_profile
        clinic = profile.clinic

        def shown(name: str, value: Any) -> Any:
            return None if value is None else fields[name].to_representation(value)

        return {
            "id": str(patient.id),
            "email": patient.email,
            "display_name": patient.display_name,
            "timezone": profile.timezone,
            "date_of_birth": shown("date_of_birth", profile.date_of_birth),
            "clinic": {"id": clinic.id, "name": clinic.name},
            "open_flags": row.open_flags,
            "highest_severity": row.highest_severity,
            "open_flag_rules": list(row.open_flag_rules),
            "unreviewed_entries": row.unreviewed_entries,
            "last_entry_at": shown("last_entry_at", row.last_entry_at),
            "pain_7d_mean": shown("pain_7d_mean", row.pain_7d_mean),
            "pain_trend": row.pain_trend,
            "kratom_7d_g_per_day": shown("kratom_7d_g_per_day", row.kratom_7d_g_per_day),
            "sleep_efficiency_recent": shown(
                "sleep_efficiency_recent", row.sleep_efficiency_recent
            ),
        }


class AccessLogActorSerializer(serializers.Serializer):
    """Who did it: the patient themself, a clinician (name, title, clinic), or Mitra itself
    (a change made outside anyone's session). Never an email, never another patient."""

    kind = serializers.ChoiceField(choices=["you", "clinician", "mitra"])
    display_name = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    clinic = serializers.CharField(allow_null=True)


def access_log_actor(event: AuditEvent) -> dict[str, Any]:
    """The access log's "who" of one event (the page shows the same)."""
    actor = event.actor
    if actor is None:
        return {"kind": "mitra", "display_name": "Mitra", "title": "", "clinic": None}
    if actor.pk == event.patient_id:
        return {"kind": "you", "display_name": "You", "title": "", "clinic": None}
    profile = getattr(actor, "clinician_profile", None)
    return {
        "kind": "clinician",
        "display_name": actor.display_name or "A clinician",
        "title": profile.title if profile is not None else "",
        "clinic": profile.clinic.name if profile is not None else None,
    }


class AccessLogEventSerializer(serializers.ModelSerializer):
    """One line of "who accessed my record", newest first."""

    action = serializers.ChoiceField(choices=AuditAction.choices, read_only=True)
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    about = serializers.CharField(
        source="object_label", read_only=True, help_text='What it was about ("a sleep diary").'
    )
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ("id", "at", "action", "action_display", "about", "actor")

    @extend_schema_field(AccessLogActorSerializer)
    def get_actor(self, event: AuditEvent) -> dict[str, Any]:
        return access_log_actor(event)
