from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from patients.models import (
    AuditEvent,
    CareTeamMembership,
    Clinic,
    ClinicianProfile,
    Invitation,
    PatientProfile,
    User,
)


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False


class ClinicianProfileInline(admin.StackedInline):
    model = ClinicianProfile
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "display_name")
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "role", "display_name", "password1", "password2")}),
    )
    inlines = (PatientProfileInline, ClinicianProfileInline)


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(CareTeamMembership)
class CareTeamMembershipAdmin(admin.ModelAdmin):
    list_display = ("patient", "clinician", "consent_granted_at", "consent_revoked_at", "ended_at")
    list_filter = ("ended_at",)
    raw_id_fields = ("patient", "clinician")
    readonly_fields = ("consent_granted_at", "consent_revoked_at")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "clinician", "clinic", "created_at", "expires_at", "accepted_at")
    raw_id_fields = ("clinician", "accepted_by")
    readonly_fields = ("sent_at", "accepted_at", "accepted_by")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is never edited."""

    list_display = ("at", "actor", "action", "object_type", "patient", "ip_address")
    list_filter = ("action", "object_type")
    raw_id_fields = ("actor", "patient")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
