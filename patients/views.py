"""Pages about people: home, invitation, settings and care team, the clinician's triage list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from journals import triage
from journals.forms import ReminderSettingsForm
from journals.services import reminder_settings_get, reminder_settings_update
from patients import services
from patients.audit import audit_reads
from patients.forms import InvitationAcceptForm, ProfileForm, add_service_errors
from patients.permissions import (
    SignedInRequest,
    clinician_required,
    home_url_for,
    memberships_of_patient,
    patient_required,
)


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


# The triage page's sorts: ?sort= value -> (label, ordering of journals.triage).
TRIAGE_SORTS: dict[str, tuple[str, str]] = {
    "urgency": ("Most urgent", "urgency"),
    "name": ("Name", "name"),
    "last_entry": ("Last entry", "-last_entry_at"),
    "pain": ("Pain (highest first)", "-pain_7d_mean"),
    "kratom": ("Kratom (most first)", "-kratom_7d_g_per_day"),
}
TRIAGE_PAGE_SIZE = 25


@require_safe
@clinician_required
def clinician_home(request: SignedInRequest) -> HttpResponse:
    """The triage list: the clinician's patients, most urgent first.

    An unknown ``?sort=`` falls back to urgency (a page forgives; the API answers 400).
    """
    sort = request.GET.get("sort", "urgency")
    if sort not in TRIAGE_SORTS:
        sort = "urgency"
    search = request.GET.get("q", "").strip()[:100]
    flagged = request.GET.get("flagged") == "1"
    not_logging = request.GET.get("not_logging") == "1"
    rows = triage.triage_rows(clinician=request.user, search=search)
    rows = triage.filter_rows(rows, flagged=True if flagged else None, not_logging=not_logging)
    rows = triage.sort_rows(rows, ordering=TRIAGE_SORTS[sort][1])
    page = Paginator(rows, TRIAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(
        request=request,
        actor=request.user,
        patients=[row.patient for row in page],
        object_type="patient",
    )
    return render(
        request,
        "patients/clinician_home.html",
        {
            "page": page,
            "rows": list(page),
            "sort": sort,
            "sorts": [(value, label) for value, (label, _) in TRIAGE_SORTS.items()],
            "search": search,
            "flagged": flagged,
            "not_logging": not_logging,
            "filtered": bool(search or flagged or not_logging),
            "nav": "clinic",
        },
    )
