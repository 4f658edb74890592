import csv
from datetime import datetime
from itertools import chain

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from config.admin import ReadOnlyAdmin
from patients.audit import audit_export
from patients.models import (
    AuditEvent,
    CareTeamMembership,
    Clinic,
    ClinicianProfile,
    Invitation,
    PatientProfile,
    User,
)
from patients.permissions import audit_events_for_staff


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


class _Echo:
    """A file-like object that hands back what is written, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


AUDIT_CSV_COLUMNS = (
    "at",
    "action",
    "actor_id",
    "actor__role",
    "patient_id",
    "object_type",
    "object_id",
    "ip_address",
    "request_id",
)


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is never edited (the database refuses it too).

    Staff see their own clinic's events (``audit_events_for_staff``); a superuser sees all.
    The before and after values of journal entries are health data: kept in the table, not
    shown here nor exported, as journal entries are not browsable in the admin.
    """

    list_display = ("at", "action", "actor", "patient", "object_type", "object_id", "ip_address")
    list_filter = ("action", "object_type")
    list_select_related = ("actor", "patient")
    search_fields = ("request_id", "object_id")
    ordering = ("-at", "-id")
    fields = (
        "at",
        "action",
        "actor",
        "patient",
        "object_type",
        "object_id",
        "ip_address",
        "request_id",
    )
    readonly_fields = fields
    actions = ("export_csv",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        staff: User = request.user  # type: ignore[assignment]
        return audit_events_for_staff(staff).select_related("actor", "patient")

    @admin.action(description="Export the selected events as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent]
    ) -> StreamingHttpResponse:
        """A streamed CSV of the selected events (those in the staff member's scope only);
        the export is itself an audit event."""
        staff: User = request.user  # type: ignore[assignment]
        exported = audit_export(request=request, actor=staff, rows=queryset.count())
        rows = (
            queryset.exclude(pk=exported.pk)  # the export's own event is not in its file
            .order_by("at", "id")
            .values_list(*AUDIT_CSV_COLUMNS)
        )
        writer = csv.writer(_Echo())
        lines = (
            writer.writerow([_csv_cell(value) for value in row])
            for row in chain([AUDIT_CSV_COLUMNS], rows.iterator(chunk_size=2000))
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response
