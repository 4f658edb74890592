from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_safe

from patients import views
from patients.forms import PasswordResetRequestForm

urlpatterns = [
    path("", require_safe(views.home), name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signin/code/", views.signin_code, name="signin-code"),
    path("signin/setup/", views.signin_setup, name="signin-setup"),
    path("signout/", views.signout, name="signout"),
    path("signout/everywhere/", views.signout_everywhere, name="signout-everywhere"),
    path("account/security/", views.account_security, name="account-security"),
    path("account/security/backup-codes/", views.backup_codes_renew, name="backup-codes-renew"),
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
    path("settings/access-log/", views.access_log_page, name="access-log"),
    path(
        "settings/care-team/<uuid:membership_id>/<str:change>/",
        views.care_team_change,
        name="care-team-change",
    ),
    path("clinic/", views.clinician_home, name="clinician-home"),
    path("clinic/settings/", views.clinician_settings_page, name="clinician-settings"),
]
