"""Clinic staff set their clinic's flag thresholds here. Journal entries are health data
and are not browsable in the admin; flags and reminder deliveries are shown read-only for
oversight."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from config.admin import ReadOnlyAdmin
from journals.models import ClinicThresholds, Delivery, Flag
from patients.models import User
from patients.permissions import deliveries_for_staff


@admin.register(ClinicThresholds)
class ClinicThresholdsAdmin(admin.ModelAdmin):
    list_display = ("clinic", "single_dose_g", "daily_total_g", "co_use_window_hours")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("rule", "severity", "status", "window_start", "window_end", "created_at")
    list_filter = ("rule", "severity", "status")
    readonly_fields = [field.name for field in Flag._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """What reached whom: every reminder and digest with when it was due, handed out, sent
    or failed, and why. Read-only; staff see their own clinic's people."""

    list_display = (
        "kind",
        "recipient",
        "local_date",
        "status",
        "due_at",
        "sent_at",
        "attempts",
        "last_error",
    )
    list_filter = ("status", "kind", "local_date")
    list_select_related = ("recipient",)
    search_fields = ("recipient__email",)
    date_hierarchy = "due_at"
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        staff: User = request.user  # type: ignore[assignment]
        return deliveries_for_staff(staff).select_related("recipient")
