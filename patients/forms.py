from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from patients.validators import region_zones, validate_timezone


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the form fields it names (else at the top)."""
    for field, errors in exc.update_error_dict({}).items():
        form.add_error(field if field in form.fields else None, errors)


class TimeZoneInput(forms.TextInput):
    """A text box that offers the zone names as the person types (an HTML datalist)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        names_id = f"{(attrs or {}).get('id', name)}-names"
        box = super().render(name, value, {**(attrs or {}), "list": names_id}, renderer)
        options = format_html_join("", '<option value="{}">', ((zone,) for zone in region_zones()))
        return format_html('{}<datalist id="{}">{}</datalist>', box, names_id, options)


class SignInForm(AuthenticationForm):
    """Sign in with email and password; one message whatever was wrong."""

    error_messages = {
        "invalid_login": "That email and password do not match an account. Please try again.",
        "inactive": "That email and password do not match an account. Please try again.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update(autocomplete="email", inputmode="email")


class CodeForm(forms.Form):
    """The second step: a code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        strip=True,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(
            # No numeric keypad: backup codes have letters.
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form already answers the same whether or not the email is known."""

    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(
        label="Your name (as your care team will see it)", max_length=120, required=False
    )
    timezone = forms.CharField(
        label="Your time zone",
        max_length=64,
        initial="UTC",
        validators=[validate_timezone],
        widget=TimeZoneInput,
        help_text="For example Europe/Berlin or America/Chicago.",
    )
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 12 characters.",
    )
    password_confirm = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords differ.")
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=120, required=False)
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        validators=[validate_timezone],
        widget=TimeZoneInput,
        help_text="An IANA name such as Europe/Berlin. Your days and reminders follow it.",
    )


class ClinicianSettingsForm(ProfileForm):
    """A clinician's name, the zone of their morning digest, and the digest switch."""

    digest_enabled = forms.BooleanField(
        label="Email me a morning summary when there are new flags or patients stop logging",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "timezone"
        ].help_text = "An IANA name such as America/Chicago. The summary comes at 07:30 in it."
