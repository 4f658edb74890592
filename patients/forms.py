from django import forms

from patients.validators import validate_timezone


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(
        label="Your name (as your care team will see it)", max_length=120, required=False
    )
    timezone = forms.CharField(
        label="Your time zone",
        max_length=64,
        initial="UTC",
        validators=[validate_timezone],
        help_text="For example Europe/Berlin or America/Chicago.",
    )
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password_confirm = forms.CharField(
        label="Password again", widget=forms.PasswordInput, strip=False
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords differ.")
        return data
