from django.urls import path

from journals.views import clinician, history, today, trends

urlpatterns = [
    path("today/", today.today, name="today"),
    path("checkin/evening/", today.evening_checkin, name="checkin-evening"),
    path("checkin/morning/", today.morning_diary, name="checkin-morning"),
    path("history/", history.history, name="history"),
    path("history/<str:kind>/<uuid:entry_id>/edit/", history.entry_edit, name="entry-edit"),
    path("history/<str:kind>/<uuid:entry_id>/delete/", history.entry_delete, name="entry-delete"),
    path("trends/", trends.trends, name="trends"),
    path(
        "clinic/patients/<uuid:patient_id>/",
        clinician.patient_page,
        name="clinician-patient",
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
