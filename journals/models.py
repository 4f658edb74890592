import uuid
from datetime import time
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from journals import validators
from journals.choices import Form, MixedWith, PainLocation, Reason, Substance, Unit, unit_fits_q
from journals.metrics import SleepMetrics, peg_score, sleep_metrics

NOTE_MAX = 2000
MAX_MINUTES = 24 * 60


def score_field(low: int = 0, high: int = 10, **kwargs: object) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        **kwargs,  # type: ignore[arg-type]
    )


def in_range(field: str, low: int, high: int, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": low, f"{field}__lte": high}), name=name
    )


class JournalEntry(models.Model):
    """Every entry: a UUID the client may choose (offline sync), its patient, and times."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The field that places the entry on the patient's timeline (a datetime, or a date).
    moment_field: str = ""
    # What the patient answers, in the order they are asked: the page forms and the API
    # serializers both list these (plus ``note``).
    answer_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def patient_zone(self) -> ZoneInfo:
        return self.patient.patient_profile.zone


class PainEntry(JournalEntry):
    """Daily pain right now, Numeric Rating Scale 0–10 (LOINC 72514-3)."""

    recorded_at = models.DateTimeField()
    intensity = score_field(help_text="Your pain right now: 0 no pain, 10 worst imaginable.")
    locations = models.JSONField(default=list, blank=True)

    moment_field = "recorded_at"
    answer_fields = ("recorded_at", "intensity", "locations")

    class Meta:
        verbose_name_plural = "pain entries"
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-recorded_at"]),
            models.Index(fields=["patient", "created_at"]),  # triage: unreviewed, last entry
        ]
        constraints = [
            in_range("intensity", 0, 10, "pain_intensity_0_10"),
        ]

    def clean(self) -> None:
        errors = validators.Errors()
        validators.check_moment(errors, "recorded_at", self.recorded_at)
        if not isinstance(self.locations, list) or not all(
            isinstance(x, str) for x in self.locations
        ):
            errors.add("locations", "Give a list of body locations.")
        else:
            unknown = sorted(set(self.locations) - set(PainLocation.values))
            if unknown:
                errors.add("locations", f"Unknown location: {', '.join(unknown)}.")
            elif len(set(self.locations)) != len(self.locations):
                errors.add("locations", "Each location may appear once.")
        errors.raise_if_any()


class PegAssessment(JournalEntry):
    """Weekly PEG-3, past-week recall (Krebs et al. 2009; panel LOINC 91148-7)."""

    recorded_at = models.DateTimeField()
    pain_average = score_field(help_text="Pain on average in the past week (0–10).")
    enjoyment_interference = score_field(
        help_text="How pain interfered with enjoyment of life in the past week (0–10)."
    )
    activity_interference = score_field(
        help_text="How pain interfered with general activity in the past week (0–10)."
    )

    moment_field = "recorded_at"
    answer_fields = (
        "recorded_at",
        "pain_average",
        "enjoyment_interference",
        "activity_interference",
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-recorded_at"]),
            models.Index(fields=["patient", "created_at"]),
        ]
        constraints = [
            in_range("pain_average", 0, 10, "peg_pain_average_0_10"),
            in_range("enjoyment_interference", 0, 10, "peg_enjoyment_0_10"),
            in_range("activity_interference", 0, 10, "peg_activity_0_10"),
        ]

    @property
    def score(self) -> Decimal:
        return peg_score(self.pain_average, self.enjoyment_interference, self.activity_interference)

    def clean(self) -> None:
        errors = validators.Errors()
        validators.check_moment(errors, "recorded_at", self.recorded_at)
        errors.raise_if_any()


class SleepEntry(JournalEntry):
    """Morning sleep diary, Consensus Sleep Diary core (Carney et al. 2012). One per night."""

    night_of = models.DateField(help_text="The date of the evening the night began, local.")
    bedtime = models.DateTimeField()
    lights_out_at = models.DateTimeField()
    sleep_onset_latency_min = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_MINUTES)]
    )
    awakenings = models.PositiveSmallIntegerField(validators=[MaxValueValidator(99)])
    wake_after_sleep_onset_min = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_MINUTES)]
    )
    final_wake_at = models.DateTimeField()
    rise_at = models.DateTimeField()
    quality = score_field(1, 5, help_text="1 very poor, 2 poor, 3 fair, 4 good, 5 very good.")

    moment_field = "night_of"
    answer_fields = (
        "night_of",
        "bedtime",
        "lights_out_at",
        "sleep_onset_latency_min",
        "awakenings",
        "wake_after_sleep_onset_min",
        "final_wake_at",
        "rise_at",
        "quality",
    )

    class Meta:
        verbose_name_plural = "sleep entries"
        ordering = ["-night_of", "-id"]
        indexes = [models.Index(fields=["patient", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["patient", "night_of"], name="sleep_one_per_night"),
            in_range("quality", 1, 5, "sleep_quality_1_5"),
            in_range("sleep_onset_latency_min", 0, MAX_MINUTES, "sleep_sol_range"),
            in_range("wake_after_sleep_onset_min", 0, MAX_MINUTES, "sleep_waso_range"),
            in_range("awakenings", 0, 99, "sleep_awakenings_range"),
            models.CheckConstraint(
                condition=Q(bedtime__lte=models.F("lights_out_at"))
                & Q(lights_out_at__lt=models.F("final_wake_at"))
                & Q(final_wake_at__lte=models.F("rise_at")),
                name="sleep_times_in_order",
            ),
        ]

    def clean(self) -> None:
        validators.validate_sleep(
            zone=self.patient_zone,
            night_of=self.night_of,
            bedtime=self.bedtime,
            lights_out_at=self.lights_out_at,
            final_wake_at=self.final_wake_at,
            rise_at=self.rise_at,
            sleep_onset_latency_min=self.sleep_onset_latency_min,
            wake_after_sleep_onset_min=self.wake_after_sleep_onset_min,
        )

    @cached_property
    def metrics(self) -> SleepMetrics:
        return sleep_metrics(
            bedtime=self.bedtime,
            lights_out_at=self.lights_out_at,
            final_wake_at=self.final_wake_at,
            rise_at=self.rise_at,
            sleep_onset_latency_min=self.sleep_onset_latency_min,
            wake_after_sleep_onset_min=self.wake_after_sleep_onset_min,
        )

    @property
    def time_in_bed_min(self) -> int:
        return self.metrics.time_in_bed_min

    @property
    def total_sleep_min(self) -> int:
        return self.metrics.total_sleep_min

    @property
    def sleep_efficiency_pct(self) -> Decimal:
        return self.metrics.sleep_efficiency_pct


class UseEntry(JournalEntry):
    """One dose of one substance. Kratom leaf is counted in grams; extract and 7-OH apart."""

    taken_at = models.DateTimeField()
    substance = models.CharField(max_length=20, choices=Substance.choices)
    amount = models.DecimalField(
        max_digits=8, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit = models.CharField(max_length=16, choices=Unit.choices)
    form = models.CharField(max_length=16, choices=Form.choices)
    mixed_with = models.CharField(max_length=16, choices=MixedWith.choices, default=MixedWith.NONE)
    product = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)

    moment_field = "taken_at"
    answer_fields = (
        "taken_at",
        "substance",
        "amount",
        "unit",
        "form",
        "mixed_with",
        "product",
        "reason",
    )

    class Meta:
        verbose_name_plural = "use entries"
        ordering = ["-taken_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-taken_at"]),
            models.Index(fields=["patient", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="use_amount_positive"),
            models.CheckConstraint(
                condition=Q(substance__in=Substance.values), name="use_substance_valid"
            ),
            models.CheckConstraint(condition=Q(form__in=Form.values), name="use_form_valid"),
            models.CheckConstraint(
                condition=Q(mixed_with__in=MixedWith.values), name="use_mixed_with_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=[*Reason.values, ""]), name="use_reason_valid"
            ),
            models.CheckConstraint(condition=unit_fits_q(), name="use_unit_fits_substance"),
            models.CheckConstraint(
                condition=~Q(substance=Substance.KRATOM, unit=Unit.G, amount__gt=50),
                name="use_kratom_leaf_plausible",
            ),
            models.CheckConstraint(
                condition=~Q(substance=Substance.ALCOHOL, amount__gt=30),
                name="use_alcohol_plausible",
            ),
        ]

    def clean(self) -> None:
        validators.validate_use(
            substance=self.substance,
            form=self.form,
            unit=self.unit,
            amount=self.amount,
            taken_at=self.taken_at,
        )

    @property
    def is_kratom_leaf(self) -> bool:
        return validators.is_kratom_leaf(self.substance, self.form)


class ReminderSettings(models.Model):
    """When a patient wants to be reminded, in local times of their own zone."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="reminder_settings",
    )
    evening_enabled = models.BooleanField(default=True)
    evening_time = models.TimeField(default=time(21, 0))
    morning_enabled = models.BooleanField(default=True)
    morning_time = models.TimeField(default=time(8, 0))
    quiet_start = models.TimeField(default=time(23, 0))
    quiet_end = models.TimeField(default=time(7, 0))
    follow_up_enabled = models.BooleanField(
        default=True, help_text="A gentle note after two days with nothing logged."
    )
    updated_at = models.DateTimeField(auto_now=True)

    # What the patient chooses, in the order the settings page and the API show it.
    setting_fields = (
        "evening_enabled",
        "evening_time",
        "morning_enabled",
        "morning_time",
        "quiet_start",
        "quiet_end",
        "follow_up_enabled",
    )

    class Meta:
        verbose_name_plural = "reminder settings"

    def __str__(self) -> str:
        return f"Reminders of {self.patient_id}"

    def silenced(self) -> list[str]:
        """Reminders switched on at a time inside quiet hours: they will not be sent."""
        times = [("Evening", self.evening_enabled, self.evening_time)]
        times.append(("Morning", self.morning_enabled, self.morning_time))
        return [
            name
            for name, enabled, clock in times
            if enabled and in_quiet_hours(clock, self.quiet_start, self.quiet_end)
        ]


def in_quiet_hours(clock: time, quiet_start: time, quiet_end: time) -> bool:
    """Quiet hours run from start to end, across midnight when start is later than end;
    equal start and end mean none."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= clock < quiet_end
    return clock >= quiet_start or clock < quiet_end


class ReminderKind(models.TextChoices):
    EVENING = "evening", "Evening check-in"
    MORNING = "morning", "Morning sleep diary"
    FOLLOW_UP = "follow_up", "Follow-up after two quiet days"
    DIGEST = "digest", "Clinician's morning digest"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # claimed by the dispatcher, waiting for a worker
    SENDING = "sending", "Sending"  # a worker holds it until lease_expires_at
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"  # no longer needed when a worker took it
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One reminder or digest for one person on one local date: the row is created before
    anything is sent, and its unique key is what makes a second dispatcher, a redelivered
    message or a retry send nothing twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    local_date = models.DateField(help_text="The recipient's local date it is for.")
    channel = models.CharField(max_length=16, default="email")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now, help_text="Row created by dispatch.")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(
        max_length=200, blank=True, help_text="Why it failed or was skipped; never content."
    )

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-due_at"]
        indexes = [
            models.Index(
                fields=["status", "enqueued_at"],
                name="delivery_unfinished",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "local_date"], name="delivery_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="delivery_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="delivery_sent_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on {self.local_date}"


class Rule(models.TextChoices):
    """Safety signals (CLINICAL.md, "Safety signals")."""

    CO_USE = "co_use", "Kratom with alcohol or a sedative"
    SEVEN_OH_PRODUCT = "seven_oh_product", "7-OH product"
    HIGH_SINGLE_DOSE = "high_single_dose", "High single dose"
    HIGH_DAILY_TOTAL = "high_daily_total", "High daily total"
    ESCALATION = "escalation", "Rising doses"
    FREQUENT_USE = "frequent_use", "Frequent use"
    WITHDRAWAL = "withdrawal", "Possible withdrawal"
    PAIN_WORSENING = "pain_worsening", "Pain worsening"
    POOR_SLEEP = "poor_sleep", "Poor sleep"
    STOPPED_LOGGING = "stopped_logging", "Stopped logging"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Flag(models.Model):
    """A safety signal on one patient, with its evidence. At most one open per rule:
    new evidence extends the open flag; after it is acknowledged or resolved, a later
    occurrence opens a new one. The acknowledgement and the resolution each keep who, when
    and their own note (resolving an open flag acknowledges it too, by the same person)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    rule = models.CharField(max_length=24, choices=Rule.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    window_start = models.DateField(help_text="First local date of the evidence.")
    window_end = models.DateField(help_text="Last local date of the evidence.")
    evidence = models.JSONField(
        default=list, help_text="[{entry_id, kind, at, values}] the rule saw."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags_acknowledged",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.CharField(max_length=NOTE_MAX, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags_resolved",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=NOTE_MAX, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule"],
                condition=Q(status="open"),
                name="flag_one_open_per_rule",
            ),
            models.CheckConstraint(condition=Q(rule__in=Rule.values), name="flag_rule_valid"),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="flag_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=FlagStatus.values), name="flag_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("window_end")), name="flag_window_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} flag {self.pk}"


class ThresholdFields(models.Model):
    """The flag rules' thresholds; ``null`` means "the default one level up"."""

    co_use_window_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(48)]
    )
    single_dose_g = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(50))],
    )
    daily_total_g = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(200))],
    )
    escalation_ratio = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1.01")), MaxValueValidator(Decimal(10))],
    )
    escalation_min_increase_g = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    frequent_doses_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(24)]
    )
    pain_rise_points = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal(10))],
    )
    pain_high = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    poor_sleep_efficiency_pct = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(100))],
    )
    poor_sleep_total_min = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(MAX_MINUTES)]
    )
    stopped_logging_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        abstract = True


class ClinicThresholds(ThresholdFields):
    """A clinic's defaults; a ``null`` field keeps CLINICAL.md's default."""

    clinic = models.OneToOneField(
        "patients.Clinic", primary_key=True, on_delete=models.CASCADE, related_name="thresholds"
    )

    class Meta:
        verbose_name_plural = "clinic thresholds"

    def __str__(self) -> str:
        return f"Thresholds of clinic {self.clinic_id}"


class PatientThresholds(ThresholdFields):
    """The care team's overrides for one patient; a ``null`` field keeps the clinic's."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="thresholds",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "patient thresholds"

    def __str__(self) -> str:
        return f"Thresholds of {self.patient_id}"


class Review(models.Model):
    """A clinician marked the patient reviewed up to ``reviewed_at``, with an optional
    note that the patient's care team can read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=NOTE_MAX, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [models.Index(fields=["patient", "-reviewed_at"])]

    def __str__(self) -> str:
        return f"Review of {self.patient_id} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class TriageSummary(models.Model):
    """One patient's triage figures (``journals.triage``), kept so that a clinician's list of
    hundreds of patients is read, filtered, sorted and paged in SQL instead of computed.

    A row is current while ``version`` equals the patient's ``journal_version`` (raised by
    every change to their entries, flags and reviews), their time zone is the one it was
    computed in, and ``valid_until`` (the patient's next local midnight, when the rolling
    weeks move) has not passed. Readers recompute the
    rows that are not current before they read (``triage.summaries_current``).
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="triage_summary",
    )
    version = models.PositiveBigIntegerField()
    timezone = models.CharField(max_length=64, help_text="The patient's zone when computed.")
    computed_for = models.DateField(help_text="The patient's local date the figures are for.")
    valid_until = models.DateTimeField()
    open_high = models.PositiveIntegerField(default=0)
    open_medium = models.PositiveIntegerField(default=0)
    open_low = models.PositiveIntegerField(default=0)
    open_total = models.PositiveIntegerField(default=0)
    severity_rank = models.PositiveSmallIntegerField(default=0, help_text="3 high … 0 none.")
    open_flag_rules = models.JSONField(default=list)
    unreviewed_entries = models.PositiveIntegerField(default=0)
    last_entry_at = models.DateTimeField(null=True)
    not_logging_from = models.DateTimeField(
        help_text="From this instant the patient counts as not logging."
    )
    pain_7d_mean = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    pain_prev_7d_mean = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    kratom_7d_g_per_day = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    sleep_efficiency_recent = models.DecimalField(max_digits=4, decimal_places=1, null=True)

    def __str__(self) -> str:
        return f"Triage summary of {self.patient_id}"
