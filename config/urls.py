from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from journals import api as journals_api
from journals.api import ENTRY_ROUTES
from patients import api as patients_api

router = SimpleRouter()
router.register("patients", patients_api.PatientsViewSet, basename="patient")
router.register("care-team", patients_api.CareTeamViewSet, basename="care-team")
router.register("invitations", patients_api.InvitationViewSet, basename="invitation")
router.register("flags", journals_api.FlagViewSet, basename="flag")
router.register(
    r"patients/(?P<patient_pk>[0-9a-f-]+)/reviews",
    journals_api.PatientReviewViewSet,
    basename="patient-review",
)
for prefix, (own, of_patient) in ENTRY_ROUTES.items():
    router.register(prefix, own, basename=prefix)
    router.register(
        rf"patients/(?P<patient_pk>[0-9a-f-]+)/{prefix}", of_patient, basename=f"patient-{prefix}"
    )

api_v1 = [
    path("auth/token/", patients_api.TokenView.as_view(), name="auth-token"),
    path("me/", patients_api.MeView.as_view(), name="me"),
    path(
        "reminder-settings/",
        journals_api.ReminderSettingsView.as_view(),
        name="reminder-settings",
    ),
    re_path(
        r"^patients/(?P<patient_pk>[0-9a-f-]+)/thresholds/$",
        journals_api.PatientThresholdsView.as_view(),
        name="patient-thresholds",
    ),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    *router.urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("patients.urls")),
    path("", include("journals.urls")),
]

handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
