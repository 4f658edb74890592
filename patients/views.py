"""Pages about people: home, invitation, settings and care team, the clinician's triage list."""

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from journals.flags import triage
from journals.reminders.forms import ReminderSettingsForm
from journals.reminders.services import reminder_settings_get, reminder_settings_update
from patients import services
from patients.audit import audit_reads
from patients.auth import (
    MFA_REQUIRED,
    pending_clear,
    pending_start,
    pending_user,
    signin_complete,
    signin_failed,
    signin_refused,
)
from patients.forms import (
    ClinicianSettingsForm,
    CodeForm,
    InvitationAcceptForm,
    ProfileForm,
    SignInForm,
    add_service_errors,
)
from patients.mfa import (
    backup_codes_left,
    has_second_factor,
    qr_svg,
    required_by_role,
    secret_text,
)
from patients.models import Authenticator
from patients.permissions import (
    SignedInRequest,
    access_log_of_patient,
    clinician_required,
    home_url_for,
    memberships_of_patient,
    patient_required,
)
from patients.serializers import access_log_actor


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("signin")
    return redirect(home_url_for(request.user))


@never_cache
@sensitive_post_parameters("password", "password_confirm")
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password from an invitation link and join the inviting clinician's care team.

    A GET only shows the form (mail scanners open links); the POST accepts.
    """
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return render(request, "patients/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
                timezone_name=form.cleaned_data["timezone"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "patients/invitation_done.html", {"invitation": invitation})
    return render(
        request, "patients/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@patient_required
def settings_page(request: SignedInRequest) -> HttpResponse:
    """Display name, time zone and reminder times; both forms save together or not at all."""
    patient = request.user
    reminders = reminder_settings_get(patient=patient)
    profile_form = ProfileForm(
        request.POST or None,
        prefix="profile",
        initial={
            "display_name": patient.display_name,
            "timezone": patient.patient_profile.timezone,
        },
    )
    reminder_form = ReminderSettingsForm(
        request.POST or None, prefix="reminders", instance=reminders
    )
    if request.method == "POST" and profile_form.is_valid() and reminder_form.is_valid():
        try:
            with transaction.atomic():
                services.profile_update(
                    user=patient,
                    display_name=profile_form.cleaned_data["display_name"],
                    timezone_name=profile_form.cleaned_data["timezone"],
                )
                reminder_settings_update(
                    patient=patient,
                    data={f: reminder_form.cleaned_data[f] for f in reminder_form.Meta.fields},
                )
        except ValidationError as exc:
            add_service_errors(profile_form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("settings")
    return render(
        request,
        "patients/settings.html",
        {"profile_form": profile_form, "reminder_form": reminder_form, "nav": "settings"},
    )


@clinician_required
def clinician_settings_page(request: SignedInRequest) -> HttpResponse:
    """A clinician's name, digest zone and digest switch (the same as PATCH /api/v1/me/)."""
    clinician = request.user
    profile = clinician.clinician_profile
    form = ClinicianSettingsForm(
        request.POST or None,
        initial={
            "display_name": clinician.display_name,
            "timezone": profile.timezone,
            "digest_enabled": profile.digest_enabled,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                user=clinician,
                display_name=form.cleaned_data["display_name"],
                timezone_name=form.cleaned_data["timezone"],
                digest_enabled=form.cleaned_data["digest_enabled"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("clinician-settings")
    return render(request, "patients/clinician_settings.html", {"form": form, "nav": "settings"})


@require_safe
@patient_required
def care_team_page(request: SignedInRequest) -> HttpResponse:
    memberships = (
        memberships_of_patient(request.user)
        .select_related("clinician__clinician_profile")
        .order_by("created_at")
    )
    return render(
        request, "patients/care_team.html", {"memberships": memberships, "nav": "settings"}
    )


@require_POST
@patient_required
def care_team_change(request: SignedInRequest, membership_id: str, change: str) -> HttpResponse:
    """Revoke or restore consent for one clinician; takes effect at once."""
    membership = memberships_of_patient(request.user).filter(pk=membership_id).first()
    if membership is None or change not in ("revoke", "restore"):
        raise Http404
    name = membership.clinician.display_name or "This clinician"
    if change == "revoke":
        services.care_team_revoke(membership=membership)
        messages.success(request, f"{name} can no longer see your journal.")
    else:
        services.care_team_restore(membership=membership)
        messages.success(request, f"{name} can see your journal again.")
    return redirect("care-team")


ACCESS_LOG_PAGE_SIZE = 50


@require_safe
@patient_required
def access_log_page(request: SignedInRequest) -> HttpResponse:
    """Who accessed my record: the same events as ``GET /api/v1/access-log/``."""
    events = (
        access_log_of_patient(request.user)
        .select_related("actor__clinician_profile__clinic")
        .order_by("-at", "-id")
    )
    page = Paginator(events, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(event, access_log_actor(event)) for event in page]
    return render(
        request,
        "patients/access_log.html",
        {"page": page, "rows": rows, "nav": "settings"},
    )


# The triage page's sorts: ?sort= value -> (label, ordering of journals.triage).
TRIAGE_SORTS: dict[str, tuple[str, str]] = {
    "urgency": ("Most urgent", "urgency"),
    "name": ("Name", "name"),
    "last_entry": ("Last entry", "-last_entry_at"),
    "pain": ("Pain (highest first)", "-pain_7d_mean"),
    "kratom": ("Kratom (most first)", "-kratom_7d_g_per_day"),
}
TRIAGE_PAGE_SIZE = 25


# The name or email searched for is kept in the session, never in the URL: browsers, proxies
# and their logs keep URLs. The other filters name no one and stay linkable.
TRIAGE_SEARCH = "triage_search"


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
def clinician_home(request: SignedInRequest) -> HttpResponse:
    """The triage list: the clinician's patients, most urgent first.

    An unknown ``?sort=`` falls back to urgency (a page forgives; the API answers 400). The
    filter form posts here and comes back to a GET (``_triage_filters_set``).
    """
    if request.method == "POST":
        return _triage_filters_set(request)
    sort = _triage_sort(request.GET.get("sort"))
    search = request.session.get(TRIAGE_SEARCH, "")
    flagged = request.GET.get("flagged") == "1"
    not_logging = request.GET.get("not_logging") == "1"
    summaries = triage.triage_list(
        clinician=request.user,
        search=search,
        flagged=True if flagged else None,
        not_logging=not_logging,
        ordering=TRIAGE_SORTS[sort][1],
    )
    page = Paginator(summaries, TRIAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [triage.row_of(summary) for summary in page]
    audit_reads(
        request=request,
        actor=request.user,
        patients=[row.patient for row in rows],
        object_type="patient",
    )
    return render(
        request,
        "patients/clinician_home.html",
        {
            "page": page,
            "rows": rows,
            "sort": sort,
            "sorts": [(value, label) for value, (label, _) in TRIAGE_SORTS.items()],
            "search": search,
            "flagged": flagged,
            "not_logging": not_logging,
            "filtered": bool(search or flagged or not_logging),
            "nav": "clinic",
        },
    )


def _triage_sort(value: str | None) -> str:
    return value if value in TRIAGE_SORTS else "urgency"


def _triage_filters_set(request: SignedInRequest) -> HttpResponse:
    """Keep the search in the session (or drop it, with every filter, on Clear), then show
    the list with the filters that name no one in its URL."""
    clear = bool(request.POST.get("clear"))
    search = "" if clear else request.POST.get("q", "").strip()[:100]
    if search:
        request.session[TRIAGE_SEARCH] = search
    else:
        request.session.pop(TRIAGE_SEARCH, None)
    query = {"sort": _triage_sort(request.POST.get("sort"))}
    if not clear:
        query |= {name: "1" for name in ("flagged", "not_logging") if request.POST.get(name) == "1"}
    return redirect(f"{reverse('clinician-home')}?{urlencode(query)}")


# Sign-in (issue #6): two steps, setting up an authenticator, signing out everywhere ---------

SIGN_IN_AGAIN = "Please sign in again."


class SignInView(auth_views.LoginView):
    """Step one, email and password. Then, by who it is: the code step; setting up an
    authenticator (a clinician who has none, before anything else); or straight in (a
    patient who has not set up two-step sign-in)."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        next_url = self.get_success_url()
        if has_second_factor(user):
            pending_start(self.request, user, next_url=next_url)
            return redirect("signin-code")
        if required_by_role(user):
            pending_start(self.request, user, next_url=next_url)
            return redirect("signin-setup")
        signin_complete(self.request, user, None)
        return HttpResponseRedirect(next_url)


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def signin_code(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator app (or a backup code). A wrong code counts
    as a failed sign-in, so the lockout covers the code too."""
    pending = pending_user(request)
    if pending is None:
        return redirect("signin")
    user, next_url = pending
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin_refused(request, user.email):
            pending_clear(request)
            messages.error(request, SIGN_IN_AGAIN)
            return redirect("signin")
        device = services.mfa_code_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            signin_complete(request, user, device)
            return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        signin_failed(request, user.email)
        form.add_error("code", services.WRONG_CODE)
    return render(request, "registration/signin_code.html", {"form": form})


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def signin_setup(request: HttpRequest) -> HttpResponse:
    """A clinician without an authenticator sets one up right after their password, and
    can do nothing else until it is confirmed by a first code."""
    pending = pending_user(request)
    if pending is None:
        return redirect("signin")
    user, next_url = pending
    if has_second_factor(user):
        return redirect("signin-code")
    device = services.mfa_setup_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin_refused(request, user.email):
            pending_clear(request)
            messages.error(request, SIGN_IN_AGAIN)
            return redirect("signin")
        try:
            codes = services.mfa_setup_confirm(device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            device.refresh_from_db()
            signin_complete(request, user, device)
            return _backup_codes_page(request, codes, next_url=next_url)
    return render(request, "patients/mfa_setup.html", _setup_context(device, form, signing_in=True))


def _setup_context(device: Authenticator, form: CodeForm, *, signing_in: bool) -> dict[str, object]:
    return {
        "form": form,
        "qr_svg": qr_svg(device.config_url),
        "secret": secret_text(device),
        "signing_in": signing_in,
    }


def _backup_codes_page(request: HttpRequest, codes: list[str], *, next_url: str) -> HttpResponse:
    """Shown once, right after they are made; only a new set can be shown again."""
    return render(
        request,
        "patients/backup_codes.html",
        {
            "codes": [f"{code[:4]}-{code[4:]}" for code in codes],
            "next_url": next_url or resolve_url(settings.LOGIN_REDIRECT_URL),
        },
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in (set it up: optional for patients) and signing out everywhere."""
    user = request.user
    assert user.is_authenticated  # noqa: S101 (login_required)
    nav = "settings" if user.is_patient else ""
    if has_second_factor(user):
        if request.method == "POST":
            return redirect("account-security")
        context = {"enrolled": True, "backup_codes_left": backup_codes_left(user), "nav": nav}
        return render(request, "patients/account_security.html", context)
    device = services.mfa_setup_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.mfa_setup_confirm(device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            device.refresh_from_db()
            django_otp.login(request, device)
            request.session[MFA_REQUIRED] = True
            # Sessions and tokens made with the password alone end here.
            services.user_sessions_end(user=user, keep_session_key=request.session.session_key)
            return _backup_codes_page(request, codes, next_url=resolve_url("account-security"))
    context = {"enrolled": False, "nav": nav, **_setup_context(device, form, signing_in=False)}
    return render(request, "patients/account_security.html", context)


@never_cache
@require_POST
@login_required
def backup_codes_renew(request: HttpRequest) -> HttpResponse:
    """A new set of backup codes, shown once; the old set stops working."""
    user = request.user
    assert user.is_authenticated  # noqa: S101 (login_required)
    if not has_second_factor(user):
        return redirect("account-security")
    codes = services.mfa_backup_codes_renew(user=user)
    return _backup_codes_page(request, codes, next_url=resolve_url("account-security"))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signout(request: HttpRequest) -> HttpResponse:
    """Sign out here, and end this person's other sessions and API tokens with it: on a
    shared or lost device, signing out anywhere leaves nothing signed in elsewhere.

    Only a POST signs out (a link or a prefetch cannot); a bookmarked or typed /signout/
    gets a page with the button, or the sign-in page when no one is signed in."""
    if request.method != "POST":
        if not request.user.is_authenticated:
            return redirect("signin")
        return render(request, "registration/signout.html")
    if request.user.is_authenticated:
        services.user_sessions_end(user=request.user, keep_session_key=request.session.session_key)
    logout(request)
    return redirect("signin")


@require_POST
@login_required
def signout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this person, this one too, and every API token."""
    user = request.user
    assert user.is_authenticated  # noqa: S101 (login_required)
    services.user_sessions_end(user=user)
    logout(request)
    return redirect("signin")
