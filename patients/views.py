from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from patients import services
from patients.forms import InvitationAcceptForm


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
            for field, errors in exc.update_error_dict({}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return render(request, "patients/invitation_done.html", {"invitation": invitation})
    return render(
        request, "patients/invitation_accept.html", {"form": form, "invitation": invitation}
    )
