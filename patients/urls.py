from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_safe

from patients import views
from patients.forms import PasswordResetRequestForm, SignInForm

urlpatterns = [
    path("", require_safe(views.home), name="home"),
    path(
        "signin/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="signin",
    ),
    path("signout/", auth_views.LogoutView.as_view(), name="signout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetRequestForm),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invite/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/care-team/", views.care_team_page, name="care-team"),
    path(
        "settings/care-team/<uuid:membership_id>/<str:change>/",
        views.care_team_change,
        name="care-team-change",
    ),
    path("clinic/", views.clinician_home, name="clinician-home"),
]
