from django.urls import path

from journals.views import clinician, exports, history, reminders, summary, today, trends

urlpatterns = [
    path("today/", today.today, name="today"),
    path("checkin/evening/", today.evening_checkin, name="checkin-evening"),
    path("checkin/morning/", today.morning_diary, name="checkin-morning"),
    path("history/", history.history, name="history"),
    path("history/<str:kind>/<uuid:entry_id>/edit/", history.entry_edit, name="entry-edit"),
    path("history/<str:kind>/<uuid:entry_id>/delete/", history.entry_delete, name="entry-delete"),
    path("history/export/<str:kind>.csv", exports.history_export, name="history-export"),
    path("history/import/", exports.history_import, name="history-import"),
    path("trends/", trends.trends, name="trends"),
    path("trends/summary/", summary.own_summary, name="visit-summary"),
    path("reminders/off/<str:token>/", reminders.reminder_off, name="reminder-off"),
    path(
        "clinic/patients/<uuid:patient_id>/",
        clinician.patient_page,
        name="clinician-patient",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/summary/",
        summary.patient_summary,
        name="clinician-visit-summary",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/export/<str:kind>.csv",
        exports.clinician_patient_export,
        name="clinician-patient-export",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/flags/<uuid:flag_id>/<str:action>/",
        clinician.flag_change,
        name="clinician-flag-change",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/reviews/",
        clinician.review_create,
        name="clinician-review-create",
    ),
    path(
        "clinic/patients/<uuid:patient_id>/thresholds/",
        clinician.thresholds_update,
        name="clinician-thresholds",
    ),
]
