"""Page forms for journal entries. Like the API's serializers they only read types and
ranges; the domain rules run in ``journals.services`` for pages and API alike, and
``apply_service_errors`` puts their messages next to the fields they name."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from journals.checkin import SLEEP_TIME_FIELDS, sleep_moment
from journals.choices import Form as UseForm
from journals.choices import (
    PainLocation,
    SleepQuality,
    Substance,
    Unit,
    allowed_units,
    use_form_for,
)
from journals.models import (
    JournalEntry,
    PainEntry,
    PegAssessment,
    SleepEntry,
    UseEntry,
)
from journals.services import NIGHT_TAKEN
from journals.validators import EARLIEST
from patients.forms import add_service_errors


class LocalDateTimeInput(forms.DateTimeInput):
    """A phone's native date-and-time picker; read in the patient's own zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class EntryForm(forms.ModelForm):
    Meta: Any
    """Fields only: the service validates the entry as a whole (see module docstring)."""

    def _post_clean(self) -> None:
        """Skip ModelForm's model validation; ``journals.services`` runs the rules once."""

    def entry_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def apply_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)


NRS_CHOICES = [(n, str(n)) for n in range(11)]
QUALITY_CHOICES = [(q.value, f"{q.value} {q.label}") for q in SleepQuality]


class PainEntryForm(EntryForm):
    locations = forms.MultipleChoiceField(
        choices=PainLocation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Where is the pain?",
    )

    class Meta:
        model = PainEntry
        fields = [*PainEntry.answer_fields, "note"]
        labels = {
            "recorded_at": "When",
            "intensity": "Your pain right now (0 no pain, 10 worst pain imaginable)",
            "note": "Anything else about your pain?",
        }
        widgets = {
            "recorded_at": LocalDateTimeInput(),
            "intensity": forms.RadioSelect(choices=NRS_CHOICES),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class PegAssessmentForm(EntryForm):
    class Meta:
        model = PegAssessment
        fields = [*PegAssessment.answer_fields, "note"]
        labels = {
            "recorded_at": "When",
            "pain_average": (
                "What number best describes your pain on average in the past week? "
                "(0 no pain, 10 pain as bad as you can imagine)"
            ),
            "enjoyment_interference": (
                "What number best describes how, during the past week, pain has interfered "
                "with your enjoyment of life? (0 does not interfere, 10 completely interferes)"
            ),
            "activity_interference": (
                "What number best describes how, during the past week, pain has interfered "
                "with your general activity? (0 does not interfere, 10 completely interferes)"
            ),
        }
        widgets = {
            "recorded_at": LocalDateTimeInput(),
            "pain_average": forms.RadioSelect(choices=NRS_CHOICES),
            "enjoyment_interference": forms.RadioSelect(choices=NRS_CHOICES),
            "activity_interference": forms.RadioSelect(choices=NRS_CHOICES),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class SleepEntryForm(EntryForm):
    class Meta:
        model = SleepEntry
        fields = [*SleepEntry.answer_fields, "note"]
        labels = {
            "night_of": "The night that began on the evening of",
            "bedtime": "What time did you get into bed?",
            "lights_out_at": "What time did you try to go to sleep?",
            "sleep_onset_latency_min": "How long did it take you to fall asleep? (minutes)",
            "awakenings": ("How many times did you wake up, not counting your final awakening?"),
            "wake_after_sleep_onset_min": "In total, how long did these awakenings last? (minutes)",
            "final_wake_at": "What time was your final awakening?",
            "rise_at": "What time did you get out of bed for the day?",
            "quality": "How would you rate the quality of your sleep?",
            "note": "Anything unusual? (illness, noise, pain that woke you)",
        }
        widgets = {
            "night_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "bedtime": LocalDateTimeInput(),
            "lights_out_at": LocalDateTimeInput(),
            "final_wake_at": LocalDateTimeInput(),
            "rise_at": LocalDateTimeInput(),
            "quality": forms.RadioSelect(choices=QUALITY_CHOICES),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def apply_service_errors(self, exc: ValidationError) -> None:
        """As the service words them, but a night already kept links to that night's diary."""
        errors = exc.update_error_dict({})
        if "night_of" in errors:
            errors["night_of"] = [_linked_to_kept_night(error) for error in errors["night_of"]]
        add_service_errors(self, ValidationError(errors))


def _linked_to_kept_night(error: ValidationError) -> ValidationError:
    if error.code != NIGHT_TAKEN or not error.params:
        return error
    url = reverse("entry-edit", args=["sleep", error.params["entry_id"]])
    return ValidationError(
        format_html(
            'There is already a sleep diary for the night of {}: <a href="{}">change that '
            "diary</a> instead of adding another.",
            error.params["night"],
            url,
        )
    )


class UseEntryForm(EntryForm):
    class Meta:
        model = UseEntry
        fields = [*UseEntry.answer_fields, "note"]
        labels = {
            "taken_at": "Time taken",
            "mixed_with": "Mixed with",
            "product": "Product (optional)",
            "reason": "Main reason (optional)",
        }
        widgets = {
            "taken_at": LocalDateTimeInput(),
            "amount": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "min": "0"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


FORM_BY_KIND: dict[str, type[EntryForm]] = {
    "pain": PainEntryForm,
    "peg": PegAssessmentForm,
    "sleep": SleepEntryForm,
    "use": UseEntryForm,
}


# Daily check-ins -----------------------------------------------------------------------------
# Each part of a check-in is a form of its own with a prefix, so repeated fields never clash;
# ``journals.services.entries_create`` saves the parts together, all or nothing.

CHOICES_ATTRS = {"class": "choices"}
NUMBER_ATTRS = {"inputmode": "numeric", "min": "0"}
OTHER_SUBSTANCES = (
    Substance.ALCOHOL,
    Substance.BENZODIAZEPINE,
    Substance.OPIOID,
    Substance.GABAPENTINOID,
    Substance.OTHER_SEDATIVE,
    Substance.CANNABIS,
    Substance.OTHER,
)


class OptionalPart(EntryForm):
    """A part of a check-in saved only when the patient fills it in: until one of
    ``filled_by`` is given, none of its fields is required and ``is_filled_in`` is False."""

    filled_by: tuple[str, ...] = ()
    use_required_attribute = False  # optional until filled in: not announced as required

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.is_filled_in():
            for field in self.fields.values():
                field.required = False

    def is_filled_in(self) -> bool:
        return self.is_bound and any(self._raw(name) for name in self.filled_by)

    def _raw(self, name: str) -> Any:
        widget = self.fields[name].widget
        return widget.value_from_datadict(self.data, self.files, self.add_prefix(name))


class PainCheckinForm(PainEntryForm):
    """Pain right now; the time is the moment the check-in is saved."""

    class Meta(PainEntryForm.Meta):
        fields = ["intensity", "locations", "note"]
        labels = {**PainEntryForm.Meta.labels, "note": "Anything else about your pain? (optional)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["intensity"].help_text = ""  # the label says it already
        self.fields["intensity"].widget.attrs.update(CHOICES_ATTRS)
        self.fields["locations"].widget.attrs.update(CHOICES_ATTRS)
        self.fields["locations"].label = "Where is the pain? (optional)"


class PegCheckinForm(OptionalPart, PegAssessmentForm):
    """The weekly PEG: all three answers, or none (asked again the next evening)."""

    filled_by = ("pain_average", "enjoyment_interference", "activity_interference")

    class Meta(PegAssessmentForm.Meta):
        fields = ["pain_average", "enjoyment_interference", "activity_interference"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.filled_by:
            self.fields[name].help_text = ""  # the label says it already
            self.fields[name].widget.attrs.update(CHOICES_ATTRS)
            self.fields[name].error_messages["required"] = (
                "Answer this one too, or leave all three for another evening."
            )


class KratomCheckinForm(OptionalPart, UseEntryForm):
    """Tonight's kratom, saved when "I took kratom" is ticked."""

    took = forms.BooleanField(required=False, label="I took kratom")
    filled_by = ("took",)
    field_order = ["took", "amount", "unit", "form", "mixed_with", "reason", "taken_at"]

    class Meta(UseEntryForm.Meta):
        fields = ["taken_at", "amount", "unit", "form", "mixed_with", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].error_messages["required"] = "Give the amount you took."
        cast(forms.ChoiceField, self.fields["form"]).choices = UseForm.choices
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            (Unit.G, "grams (powder, capsules, tea)"),
            (Unit.MG, "milligrams (extract, 7-OH)"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_bound and not self.is_filled_in() and self._amount_differs_from_usual():
            # Never drop what was typed without a word: ask rather than guess.
            self.add_error(
                "took",
                "You changed the amount: tick “I took kratom” to save this dose, "
                "or clear the amount.",
            )
        return data

    def _amount_differs_from_usual(self) -> bool:
        field = self.fields["amount"]
        try:
            typed = field.to_python(self._raw("amount"))
            usual = field.to_python(self.get_initial_for_field(field, "amount"))
        except ValidationError:
            return True
        return bool(typed != usual)

    def entry_data(self) -> dict[str, Any]:
        return {**super().entry_data(), "substance": Substance.KRATOM}


class OtherUseCheckinForm(OptionalPart, UseEntryForm):
    """One row of "Anything else today?": alcohol or a sedative, saved once it is chosen.

    The unit may stay empty when the substance has only one (alcohol: standard drinks).
    """

    filled_by = ("substance", "amount")

    class Meta(UseEntryForm.Meta):
        fields = ["substance", "amount", "unit", "taken_at"]
        labels = {**UseEntryForm.Meta.labels, "substance": "What"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        substance = cast(forms.ChoiceField, self.fields["substance"])
        substance.choices = [("", "—"), *((s.value, s.label) for s in OTHER_SUBSTANCES)]
        substance.error_messages["required"] = "Choose what you took, or clear the amount."
        self.fields["amount"].error_messages["required"] = "Give the amount you took."
        unit = cast(forms.ChoiceField, self.fields["unit"])
        unit.choices = [("", "—"), *Unit.choices]
        unit.required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        substance = data.get("substance")
        if substance and not data.get("unit") and not self.has_error("unit"):
            units = allowed_units(substance, "")
            if len(units) == 1:
                data["unit"] = next(iter(units))
            else:
                self.add_error("unit", "Choose a unit.")
        return data

    def entry_data(self) -> dict[str, Any]:
        data = super().entry_data()
        return {**data, "form": use_form_for(substance=data["substance"], unit=data["unit"])}


class EveningCheckinForms:
    """The evening check-in: pain, the weekly PEG when due, tonight's kratom, and up to two
    rows of alcohol or sedatives. Each part is a form with its own prefix."""

    OTHER_ROWS = 2

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        peg_due: bool,
        kratom_initial: Mapping[str, Any],
        now: datetime,
    ) -> None:
        self.pain = PainCheckinForm(data, prefix="pain")
        self.peg = PegCheckinForm(data, prefix="peg") if peg_due else None
        self.kratom = KratomCheckinForm(
            data, prefix="kratom", initial={**kratom_initial, "taken_at": now}
        )
        self.others = [
            OtherUseCheckinForm(data, prefix=f"other{row}", initial={"taken_at": now})
            for row in range(1, self.OTHER_ROWS + 1)
        ]

    @property
    def by_prefix(self) -> dict[str, EntryForm]:
        parts: list[EntryForm] = [self.pain, self.kratom, *self.others]
        if self.peg is not None:
            parts.append(self.peg)
        return {form.prefix or "": form for form in parts}

    def is_valid(self) -> bool:
        checked = [form.is_valid() for form in self.by_prefix.values()]  # each shows its errors
        return all(checked)

    @property
    def has_errors(self) -> bool:
        return any(form.errors for form in self.by_prefix.values())

    def parts(self, *, now: datetime) -> dict[str, tuple[type[JournalEntry], dict[str, Any]]]:
        """What to save, by prefix: pain now, and each optional part the patient filled in;
        a part whose own fields have errors is left out (all are in once ``is_valid()``)."""
        parts: dict[str, tuple[type[JournalEntry], dict[str, Any]]] = {}
        if self.pain.is_valid():
            parts["pain"] = (PainEntry, {**self.pain.entry_data(), "recorded_at": now})
        if self.peg is not None and self.peg.is_filled_in() and self.peg.is_valid():
            parts["peg"] = (PegAssessment, {**self.peg.entry_data(), "recorded_at": now})
        for form in [self.kratom, *self.others]:
            if form.is_filled_in() and form.is_valid():
                parts[form.prefix or ""] = (UseEntry, form.entry_data())
        return parts

    def apply_service_errors(self, errors: Mapping[str, ValidationError]) -> None:
        for prefix, exc in errors.items():
            self.by_prefix[prefix].apply_service_errors(exc)


class SleepDiaryForm(SleepEntryForm):
    """The morning diary with clock times, placed on the night by ``journals.checkin``."""

    bedtime = forms.TimeField(
        label=SleepEntryForm.Meta.labels["bedtime"],
        widget=TimeInput(),
        help_text="A time before noon counts as after midnight.",
    )
    lights_out_at = forms.TimeField(
        label=SleepEntryForm.Meta.labels["lights_out_at"], widget=TimeInput()
    )
    final_wake_at = forms.TimeField(
        label=SleepEntryForm.Meta.labels["final_wake_at"], widget=TimeInput()
    )
    rise_at = forms.TimeField(label=SleepEntryForm.Meta.labels["rise_at"], widget=TimeInput())

    class Meta(SleepEntryForm.Meta):
        labels = {
            **SleepEntryForm.Meta.labels,
            "note": "Anything unusual? (optional: illness, noise, pain that woke you)",
        }

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["night_of"].help_text = "Yesterday, unless you are filling in an earlier night."
        for name in ("sleep_onset_latency_min", "awakenings", "wake_after_sleep_onset_min"):
            self.fields[name].widget.attrs.update(NUMBER_ATTRS)
        self.fields["quality"].help_text = ""  # each choice says it already
        self.fields["quality"].widget.attrs.update(CHOICES_ATTRS)

    def clean_night_of(self) -> date:
        """A night not begun yet, or so far back that no journal time can lie in it, is an
        error here (the clock times are then placed on the night: ``entry_data``)."""
        night_of: date = self.cleaned_data["night_of"]
        if night_of > timezone.now().astimezone(self.zone).date():
            raise ValidationError("That night has not begun yet.")
        if night_of < EARLIEST.date():
            raise ValidationError(f"Choose a night from {EARLIEST:%-d %B %Y} on.")
        return night_of

    def entry_data(self) -> dict[str, Any]:
        data = super().entry_data()
        for name in SLEEP_TIME_FIELDS:
            data[name] = sleep_moment(
                night_of=data["night_of"], field=name, clock=data[name], zone=self.zone
            )
        return data
