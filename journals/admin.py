"""Clinic staff set their clinic's flag thresholds here. Journal entries are health data
and are not browsable in the admin; flags are shown read-only for oversight."""

from django.contrib import admin
from django.http import HttpRequest

from journals.models import ClinicThresholds, Flag


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
