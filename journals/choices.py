"""Vocabularies of the journal, from CLINICAL.md, which units fit which substance, and how
a choice reads in a sentence."""

from decimal import Decimal

from django.db import models


class Substance(models.TextChoices):
    KRATOM = "kratom", "Kratom"
    ALCOHOL = "alcohol", "Alcohol"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    OPIOID = "opioid", "Opioid"
    GABAPENTINOID = "gabapentinoid", "Gabapentinoid"
    CANNABIS = "cannabis", "Cannabis"
    OTHER_SEDATIVE = "other_sedative", "Other sedative"
    OTHER = "other", "Other"


class Form(models.TextChoices):
    POWDER = "powder", "Powder"
    CAPSULE = "capsule", "Capsule"
    TEA = "tea", "Tea"
    EXTRACT = "extract", "Extract"
    SEVEN_OH = "seven_oh", "7-OH product"
    TABLET = "tablet", "Tablet"
    LIQUID = "liquid", "Liquid"
    OTHER = "other", "Other"


class Unit(models.TextChoices):
    G = "g", "grams"
    MG = "mg", "milligrams"
    STANDARD_DRINK = "standard_drink", "standard drinks"
    TABLET = "tablet", "tablets"


class MixedWith(models.TextChoices):
    NONE = "none", "Nothing"
    WATER = "water", "Water"
    WARM_WATER = "warm_water", "Warm water"
    MILK = "milk", "Milk"
    JUICE = "juice", "Juice"
    OTHER = "other", "Other"


class Reason(models.TextChoices):
    PAIN = "pain", "Pain"
    SLEEP = "sleep", "Sleep"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    MOOD = "mood", "Mood"
    ENERGY = "energy", "Energy"
    OTHER = "other", "Other"


class SleepQuality(models.IntegerChoices):
    """Consensus Sleep Diary: how would you rate the quality of your sleep?"""

    VERY_POOR = 1, "very poor"
    POOR = 2, "poor"
    FAIR = 3, "fair"
    GOOD = 4, "good"
    VERY_GOOD = 5, "very good"


class PainLocation(models.TextChoices):
    HEAD = "head", "Head"
    NECK = "neck", "Neck"
    SHOULDERS = "shoulders", "Shoulders"
    UPPER_BACK = "upper_back", "Upper back"
    LOWER_BACK = "lower_back", "Lower back"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Abdomen"
    HIPS = "hips", "Hips"
    ARMS = "arms", "Arms"
    HANDS = "hands", "Hands"
    LEGS = "legs", "Legs"
    KNEES = "knees", "Knees"
    FEET = "feet", "Feet"
    WIDESPREAD = "widespread", "Widespread"
    OTHER = "other", "Other"


# Leaf grams and extract/7-OH milligrams are not comparable: dose totals count leaf forms only.
KRATOM_LEAF_FORMS = frozenset({Form.POWDER, Form.CAPSULE, Form.TEA})
KRATOM_CONCENTRATE_FORMS = frozenset({Form.EXTRACT, Form.SEVEN_OH})
SEDATING_SUBSTANCES = frozenset(
    {
        Substance.ALCOHOL,
        Substance.BENZODIAZEPINE,
        Substance.OPIOID,
        Substance.GABAPENTINOID,
        Substance.OTHER_SEDATIVE,
    }
)
_MEDICINE_UNITS = frozenset({Unit.MG, Unit.TABLET})

# (substance, form or None for "any other form") -> units allowed. The one source of the
# unit rule: the validator and the database check constraint are both built from it.
UNIT_RULES: dict[tuple[str, str | None], frozenset[str]] = {
    # Tuples, not the frozensets above: the constraint built from this must come out in the
    # same order on every run, or makemigrations sees a change.
    **{
        (Substance.KRATOM, form): frozenset({Unit.G})
        for form in (Form.POWDER, Form.CAPSULE, Form.TEA)
    },
    **{(Substance.KRATOM, form): frozenset({Unit.MG}) for form in (Form.EXTRACT, Form.SEVEN_OH)},
    (Substance.KRATOM, None): frozenset({Unit.G, Unit.MG}),
    (Substance.ALCOHOL, None): frozenset({Unit.STANDARD_DRINK}),
    (Substance.BENZODIAZEPINE, None): _MEDICINE_UNITS,
    (Substance.OPIOID, None): _MEDICINE_UNITS,
    (Substance.GABAPENTINOID, None): _MEDICINE_UNITS,
    (Substance.OTHER_SEDATIVE, None): _MEDICINE_UNITS,
    (Substance.CANNABIS, None): frozenset({Unit.MG, Unit.G}),
    (Substance.OTHER, None): frozenset(Unit.values),
}


def allowed_units(substance: str, form: str) -> frozenset[str]:
    return UNIT_RULES.get((substance, form)) or UNIT_RULES.get((substance, None), frozenset())


def units_depend_on_form(substance: str, form: str) -> bool:
    """Whether the form narrows the units (kratom powder: g); else the substance decides."""
    return (substance, form) in UNIT_RULES


# Symbols stay as they are; counted units agree with their number.
_COUNTED_UNITS = {
    Unit.STANDARD_DRINK: ("standard drink", "standard drinks"),
    Unit.TABLET: ("tablet", "tablets"),
}


def unit_name(unit: str, amount: Decimal | None = None) -> str:
    """A unit as written after a number: "g", "mg", "1 tablet", "2 standard drinks"; without
    an amount, as after "in" ("in mg or tablets")."""
    if unit not in _COUNTED_UNITS:
        return unit
    singular, plural = _COUNTED_UNITS[Unit(unit)]
    return singular if amount == 1 else plural


def in_sentence(label: str) -> str:
    """A choice's label inside a sentence: "Warm water" -> "warm water"; only the first
    letter changes, so "7-OH product" keeps its capitals."""
    return label[:1].lower() + label[1:]


def unit_fits_q() -> models.Q:
    """The unit rule as a Q object, for a CheckConstraint."""
    q = models.Q()
    for (substance, form), units in UNIT_RULES.items():
        if form is None:
            specific = [f for (s, f) in UNIT_RULES if s == substance and f is not None]
            case = models.Q(substance=substance) & ~models.Q(form__in=sorted(specific))
        else:
            case = models.Q(substance=substance, form=form)
        q |= case & models.Q(unit__in=sorted(units))
    return q


def use_form_for(*, substance: str, unit: str) -> str:
    """The ``form`` the "anything else" rows do not ask for: alcohol is a liquid, a dose
    counted in tablets is a tablet, and anything else is recorded as "other"."""
    if substance == Substance.ALCOHOL:
        return Form.LIQUID
    return Form.TABLET if unit == Unit.TABLET else Form.OTHER
