from django.urls import path

from journals.flags import views as flags
from journals.interop import views as interop
from journals.reminders import views as reminders
from journals.reports import views as reports
from journals.views import history, today

urlpatterns = [
    path("today/", today.today, name="today"),
    path("checkin/evening/", today.evening_checkin, name="checkin-evening"),
    path("checkin/morning/", today.morning_diary, name="checkin-morning"),
    path("history/", history.history, name="history"),
    path("history/<str:kind>/<uuid:entry_id>/edit/", history.entry_edit, name="entry-edit"),
    path("history/<str:kind>/<uuid:entry_id>/delete/", history.entry_delete, name="entry-delete"),
    path("history/export/<str:kind>.csv", interop.history_export, name="history-export"),
    path("history/import/", interop.history_import, name="history-import"),
    path("trends/", reports.trends, name="trends"),
    path("trends/summary/", reports.own_summary, name="visit-summary"),
    path("reminders/off/<str:token>/", reminders.reminder_off, name="reminder-off"),
    path(
        "clinic/patients/<uuid:patient_id>/",
        flags.patient_page,
        name="clinician-patient",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/summary/",
        reports.patient_summary,
        name="clinician-visit-summary",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/export/<str:kind>.csv",
        interop.clinician_patient_export,
        name="clinician-patient-export",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/flags/<uuid:flag_id>/<str:action>/",
        flags.flag_change,
        name="clinician-flag-change",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/reviews/",
        flags.review_create,
        name="clinician-review-create",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/thresholds/",
        flags.thresholds_update,
        name="clinician-thresholds",
    ),
]
