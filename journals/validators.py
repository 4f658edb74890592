"""The journal's domain rules. Model ``clean()`` calls these; forms and the API reach them
through the services, so there is one copy of each rule."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from journals.choices import (
    KRATOM_LEAF_FORMS,
    Form,
    Substance,
    Unit,
    allowed_units,
    in_sentence,
    unit_name,
    units_depend_on_form,
)

FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))
# CLINICAL.md sets no upper bound. Longer than this from getting into bed to getting up is
# taken for a slip (an evening time typed for a morning one), not a night; it bounds total
# sleep too, which fits between lights out and the final awakening.
MAX_TIME_IN_BED_HOURS = 16
MAX_TIME_IN_BED = timedelta(hours=MAX_TIME_IN_BED_HOURS)
NIGHT_OF_SHIFT = timedelta(hours=12)

KRATOM_LEAF_MAX_G = Decimal(50)
ALCOHOL_MAX_DRINKS = Decimal(30)
# Beyond these, any amount is a typing error whatever the substance.
UNIT_MAX = {
    Unit.G: Decimal(1000),
    Unit.MG: Decimal(10000),
    Unit.TABLET: Decimal(50),
    Unit.STANDARD_DRINK: ALCOHOL_MAX_DRINKS,
}


class Errors:
    """Collects field errors so one response names every problem at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def has(self, field: str) -> bool:
        return field in self.by_field

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def day_in_words(day: date) -> str:
    """A date as the pages write it: "Wednesday 25 November"."""
    return date_format(day, "l j F")


def check_moment(errors: Errors, field: str, value: datetime | None) -> None:
    """Journal times must be aware, not in the future (beyond clock skew), and not absurd."""
    if value is None:
        return
    if timezone.is_naive(value):
        errors.add(field, "Give the time with its UTC offset, e.g. 2026-03-01T21:30:00+01:00.")
    elif value > timezone.now() + FUTURE_TOLERANCE:
        errors.add(field, "This time is in the future.")
    elif value < EARLIEST:
        errors.add(field, "This time is too far in the past.")


def night_of_for(bedtime: datetime, zone: ZoneInfo) -> date:
    """The evening a night began, in the patient's zone: a bedtime after midnight belongs
    to the evening before (CLINICAL.md: ``(local bedtime − 12 h).date()``)."""
    return (bedtime.astimezone(zone) - NIGHT_OF_SHIFT).date()


def validate_sleep(
    *,
    zone: ZoneInfo,
    night_of: date | None,
    bedtime: datetime | None,
    lights_out_at: datetime | None,
    final_wake_at: datetime | None,
    rise_at: datetime | None,
    sleep_onset_latency_min: int | None,
    wake_after_sleep_onset_min: int | None,
) -> None:
    errors = Errors()
    times = {
        "bedtime": bedtime,
        "lights_out_at": lights_out_at,
        "final_wake_at": final_wake_at,
        "rise_at": rise_at,
    }
    for field, value in times.items():
        check_moment(errors, field, value)
    errors.raise_if_any()
    if bedtime is None or lights_out_at is None or final_wake_at is None or rise_at is None:
        return  # the missing field is reported as required by the field's own check
    # Compare and subtract in UTC: datetimes sharing a tzinfo are compared and subtracted on
    # the wall clock, which is an hour off across a DST change.
    bedtime, lights_out_at, final_wake_at, rise_at = (
        t.astimezone(UTC) for t in (bedtime, lights_out_at, final_wake_at, rise_at)
    )

    if lights_out_at < bedtime:
        errors.add("lights_out_at", "Lights out cannot be before getting into bed.")
    if final_wake_at <= lights_out_at:
        errors.add("final_wake_at", "The final awakening must come after lights out.")
    if rise_at < final_wake_at:
        errors.add("rise_at", "Getting up cannot be before the final awakening.")
    if rise_at - bedtime > MAX_TIME_IN_BED:
        errors.add(
            "rise_at",
            f"More than {MAX_TIME_IN_BED_HOURS} hours in bed, from {_day_and_time(bedtime, zone)}"
            f" to {_day_and_time(rise_at, zone)}: check the times.",
        )
    if night_of is not None and night_of != night_of_for(bedtime, zone):
        errors.add(
            "night_of",
            f"This bedtime belongs to the night of {day_in_words(night_of_for(bedtime, zone))} "
            "in your time zone.",
        )
    if (
        not errors.by_field
        and sleep_onset_latency_min is not None
        and wake_after_sleep_onset_min is not None
    ):
        window = (final_wake_at - lights_out_at).total_seconds() / 60
        if sleep_onset_latency_min + wake_after_sleep_onset_min > window:
            errors.add(
                "wake_after_sleep_onset_min",
                "Time to fall asleep plus time awake in the night is longer than the time "
                "from lights out to the final awakening.",
            )
    errors.raise_if_any()


def validate_use(
    *, substance: str, form: str, unit: str, amount: Decimal | None, taken_at: datetime | None
) -> None:
    errors = Errors()
    check_moment(errors, "taken_at", taken_at)
    units = allowed_units(substance, form)
    if substance and form and unit and unit not in units:
        errors.add("unit", _units_message(substance, form, units))
    if amount is not None and amount > 0 and not errors.has("unit"):
        # CLINICAL.md names leaf doses; a kratom dose in grams in another form (tablet, other)
        # is held to the same 50 g, as the database's check constraint holds it (extract and
        # 7-OH are counted in mg). So the message says "kratom", not "kratom leaf".
        if substance == Substance.KRATOM and unit == Unit.G and amount > KRATOM_LEAF_MAX_G:
            errors.add("amount", "More than 50 g of kratom in one dose looks like a typo.")
        elif substance == Substance.ALCOHOL and amount > ALCOHOL_MAX_DRINKS:
            errors.add("amount", "More than 30 standard drinks looks like a typo.")
        elif unit in UNIT_MAX and amount > (limit := UNIT_MAX[Unit(unit)]):
            errors.add("amount", f"More than {limit:,} {unit_name(unit)} looks like a typo.")
    errors.raise_if_any()


def _units_message(substance: str, form: str, units: frozenset[str]) -> str:
    """The unit error, e.g. "For kratom taken as 7-OH product, give the amount in mg."; the
    form is named only where it decides the units (alcohol: whatever form was filled in)."""
    names = [unit_name(unit) for unit in sorted(units)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    what = in_sentence(_label(Substance, substance))
    if units_depend_on_form(substance, form):
        what += f" taken as {in_sentence(_label(Form, form))}"
    return f"For {what}, give the amount in {listed}."


def _label(choices: type[Substance] | type[Form], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _day_and_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as "Tuesday 23:00" in the patient's zone: how the diary's times were read."""
    return date_format(moment.astimezone(zone), "l H:i")


def is_kratom_leaf(substance: str, form: str) -> bool:
    return substance == Substance.KRATOM and form in KRATOM_LEAF_FORMS
