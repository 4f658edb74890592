from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from config.security import swagger_ui_view
from journals.api import ENTRY_ROUTES
from journals.flags import api as flags_api
from journals.interop import api as interop_api
from journals.reminders import api as reminders_api
from patients import api as patients_api

router = SimpleRouter()
router.register("patients", patients_api.PatientsViewSet, basename="patient")
router.register("care-team", patients_api.CareTeamViewSet, basename="care-team")
router.register("access-log", patients_api.AccessLogViewSet, basename="access-log")
router.register("invitations", patients_api.InvitationViewSet, basename="invitation")
router.register("flags", flags_api.FlagViewSet, basename="flag")
router.register(
    r"patients/(?P<patient_pk>[0-9a-f-]+)/reviews",
    flags_api.PatientReviewViewSet,
    basename="patient-review",
)
for prefix, (own, of_patient) in ENTRY_ROUTES.items():
    router.register(prefix, own, basename=prefix)
    router.register(
        rf"patients/(?P<patient_pk>[0-9a-f-]+)/{prefix}", of_patient, basename=f"patient-{prefix}"
    )

api_v1 = [
    path("auth/token/", patients_api.TokenView.as_view(), name="auth-token"),
    path(
        "auth/signout-everywhere/",
        patients_api.SignOutEverywhereView.as_view(),
        name="auth-signout-everywhere",
    ),
    path("me/", patients_api.MeView.as_view(), name="me"),
    path(
        "reminder-settings/",
        reminders_api.ReminderSettingsView.as_view(),
        name="reminder-settings",
    ),
    re_path(
        r"^patients/(?P<patient_pk>[0-9a-f-]+)/thresholds/$",
        flags_api.PatientThresholdsView.as_view(),
        name="patient-thresholds",
    ),
    # Exports and imports (issue #7): journals/interop_api.py
    path("me/fhir/", interop_api.MeFhirView.as_view(), name="me-fhir"),
    re_path(
        r"^patients/(?P<patient_pk>[0-9a-f-]+)/fhir/$",
        interop_api.PatientFhirView.as_view(),
        name="patient-fhir",
    ),
    re_path(
        r"^me/export/(?P<kind>[a-z]+)\.csv$",
        interop_api.MeCsvExportView.as_view(),
        name="me-export",
    ),
    re_path(
        r"^patients/(?P<patient_pk>[0-9a-f-]+)/export/(?P<kind>[a-z]+)\.csv$",
        interop_api.PatientCsvExportView.as_view(),
        name="patient-export",
    ),
    re_path(
        r"^me/import/(?P<kind>[a-z]+)\.csv$",
        interop_api.MeCsvImportView.as_view(),
        name="me-import",
    ),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", swagger_ui_view(), name="docs"),  # CSP-safe Swagger UI (config/security.py)
    *router.urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("patients.urls")),
    path("", include("journals.urls")),
]

handler400 = "config.errors.bad_request"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
