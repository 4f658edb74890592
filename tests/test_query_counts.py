"""Every GET page and list endpoint runs as many SQL queries for a big journal and caseload
as for a small one (issue #8, CONVENTIONS.md "Queries and time").

Each case is requested by the role that sees it, first on a small world (one entry of each
kind, one flag, one review, one patient on bob's caseload), then after ``_grow`` (30 days
of entries, flags in every state, reviews by several clinicians, ten more patients on
bob's caseload with journals, care team members, invitations, access-log events). The two
counts must be equal. ``test_every_get_route_is_counted_or_excluded`` checks the cases
against the URL configuration, as the permission matrix does.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from journals.models import (
    Flag,
    FlagStatus,
    PainEntry,
    PatientThresholds,
    PegAssessment,
    Review,
    Rule,
    Severity,
    SleepEntry,
    UseEntry,
)
from journals.reminders.compose import unsubscribe_token
from patients import services
from patients.models import AuditAction, AuditEvent, Clinic, Invitation, User
from tests.conftest import client_for
from tests.factories import (
    ClinicFactory,
    ClinicianFactory,
    MembershipFactory,
    PatientFactory,
    night_times,
)
from tests.journals.helpers import NOW
from tests.test_permission_matrix import _routes

API_KINDS = ("pain-entries", "peg-assessments", "sleep-entries", "use-entries")
# A page's name for each kind -> the API's.
PAGE_KINDS = {
    "pain": "pain-entries",
    "peg": "peg-assessments",
    "sleep": "sleep-entries",
    "use": "use-entries",
}
DAYS = 30  # of alice's journal
MORE_PATIENTS = 10  # on bob's caseload, with a journal of their own
THEIR_DAYS = 8  # enough for every triage figure; fewer rows keep the file fast


@dataclass
class World:
    alice: User
    bob: User
    objects: dict[str, Any] = field(default_factory=dict)


Kwargs = Callable[[World], dict[str, str]]


@dataclass(frozen=True)
class Case:
    name: str
    role: str  # "alice" (the patient), "bob" (her clinician) or "anonymous"
    kwargs: Kwargs = lambda world: {}
    query: str = ""
    kind: str = ""  # for the names that take one

    @property
    def id(self) -> str:
        return f"{self.name}{f'[{self.kind}]' if self.kind else ''}{self.query}-{self.role}"


def _of_alice(world: World) -> dict[str, str]:
    return {"patient_id": str(world.alice.pk)}


def _api_of_alice(world: World) -> dict[str, str]:
    return {"patient_pk": str(world.alice.pk)}


def _entry(kind: str) -> Kwargs:
    return lambda world: {"pk": str(world.objects[kind].pk)}


def _entry_of_alice(kind: str) -> Kwargs:
    return lambda world: {**_api_of_alice(world), "pk": str(world.objects[kind].pk)}


def _kind(kind: str, of: Kwargs = lambda world: {}) -> Kwargs:
    return lambda world: {**of(world), "kind": kind}


def _page_entry(kind: str) -> Kwargs:
    return lambda world: {"kind": kind, "entry_id": str(world.objects[PAGE_KINDS[kind]].pk)}


SINCE = f"?since={(NOW - timedelta(days=10)).date()}&until={NOW.date()}"

CASES: list[Case] = [
    # The patient's API
    *[Case(f"{kind}-list", "alice") for kind in API_KINDS],
    *[Case(f"{kind}-list", "alice", query=SINCE) for kind in API_KINDS],
    *[Case(f"{kind}-detail", "alice", _entry(kind)) for kind in API_KINDS],
    Case("me", "alice"),
    Case("reminder-settings", "alice"),
    Case("care-team-list", "alice"),
    Case("access-log-list", "alice"),
    Case("me-fhir", "alice"),
    *[Case("me-export", "alice", _kind(kind), kind=kind) for kind in PAGE_KINDS],
    # The clinician's API
    Case("me", "bob"),
    Case("patient-list", "bob"),
    Case("patient-list", "bob", query="?ordering=-pain_7d_mean&flagged=true"),
    Case("patient-detail", "bob", lambda world: {"pk": str(world.alice.pk)}),
    *[Case(f"patient-{kind}-list", "bob", _api_of_alice) for kind in API_KINDS],
    *[Case(f"patient-{kind}-list", "bob", _api_of_alice, SINCE) for kind in API_KINDS],
    *[Case(f"patient-{kind}-detail", "bob", _entry_of_alice(kind)) for kind in API_KINDS],
    Case("flag-list", "bob"),
    Case("flag-list", "bob", query="?status=open"),
    Case("flag-detail", "bob", lambda world: {"pk": str(world.objects["flag"].pk)}),
    Case("patient-review-list", "bob", _api_of_alice),
    Case("patient-thresholds", "bob", _api_of_alice),
    Case("invitation-list", "bob"),
    Case("patient-fhir", "bob", _api_of_alice),
    *[Case("patient-export", "bob", _kind(kind, _api_of_alice), kind=kind) for kind in PAGE_KINDS],
    # The patient's pages
    Case("home", "alice"),
    Case("today", "alice"),
    Case("checkin-evening", "alice"),
    Case("checkin-morning", "alice"),
    Case("history", "alice"),
    Case("history", "alice", query=f"?kind=use&from={(NOW - timedelta(days=10)).date()}"),
    *[Case("entry-edit", "alice", _page_entry(kind), kind=kind) for kind in PAGE_KINDS],
    *[Case("entry-delete", "alice", _page_entry(kind), kind=kind) for kind in PAGE_KINDS],
    *[Case("history-export", "alice", _kind(kind), kind=kind) for kind in PAGE_KINDS],
    Case("history-import", "alice"),
    Case("trends", "alice"),
    Case("trends", "alice", query="?days=90"),
    Case("visit-summary", "alice"),
    Case("settings", "alice"),
    Case("care-team", "alice"),
    Case("access-log", "alice"),
    Case("account-security", "alice"),
    # The clinician's pages
    Case("home", "bob"),
    Case("clinician-home", "bob"),
    Case("clinician-home", "bob", query="?sort=pain&flagged=1"),
    Case("clinician-patient", "bob", _of_alice),
    Case("clinician-visit-summary", "bob", _of_alice),
    *[
        Case("clinician-patient-export", "bob", _kind(kind, _of_alice), kind=kind)
        for kind in PAGE_KINDS
    ],
    Case("clinician-settings", "bob"),
    Case("account-security", "bob"),
    # Links followed from an email, signed in or not
    Case(
        "invitation-accept",
        "anonymous",
        lambda world: {"token": services.invitation_token(world.objects["invitation"])},
    ),
    Case(
        "reminder-off",
        "anonymous",
        lambda world: {"token": unsubscribe_token(world.alice, "evening")},
    ),
]

# GET routes without a case, and why.
EXCLUDED = {
    # POST-only forms: a GET answers 405 before any query (tests/test_permission_matrix.py).
    "care-team-change",
    "backup-codes-renew",
    "clinician-flag-change",
    "clinician-review-create",
    "clinician-thresholds",
    "signout-everywhere",
    # Sign-in and password-reset forms, and the sign-out button's page: they read no journal
    # or caseload rows.
    "signin",
    "signout",
    "signin-code",
    "signin-setup",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The OpenAPI schema and its viewer: generated from code, no query at all.
    "schema",
    "docs",
}


def test_every_get_route_is_counted_or_excluded() -> None:
    routes = {name for name, method in _routes(get_resolver().url_patterns) if method == "get"}
    counted = {case.name for case in CASES}
    assert routes - counted - EXCLUDED == set(), "GET routes without a query-count case"
    assert (counted | EXCLUDED) - routes == set(), "cases for routes that no longer exist"
    assert counted & EXCLUDED == set(), "a route both counted and excluded"


def _small_world() -> World:
    """alice and bob as in conftest, alice bob's only patient; one entry of each kind, one
    flag naming them, one review, one access-log event, one invitation."""
    riverside = ClinicFactory(name="Riverside")
    alice = PatientFactory(
        email="alice@example.org", display_name="Alice", clinic=riverside, timezone="Europe/Berlin"
    )
    bob = ClinicianFactory(email="bob@example.org", display_name="Dr Bob", clinic=riverside)
    MembershipFactory(patient=alice, clinician=bob)
    world = World(alice=alice, bob=bob)
    entries = _journal(alice, [NOW.date() - timedelta(days=1)])
    for kind, rows in entries.items():
        world.objects[kind] = rows[0]
    world.objects["flag"] = _flag(alice, Rule.CO_USE, FlagStatus.OPEN, entries)
    Review.objects.create(patient=alice, clinician=bob, reviewed_at=NOW - timedelta(days=3))
    AuditEvent.objects.create(
        actor=bob, patient=alice, action=AuditAction.VIEW, object_type="patient"
    )
    world.objects["invitation"] = Invitation.objects.create(
        email="invitee@example.org",
        clinician=bob,
        clinic=riverside,
        expires_at=NOW + timedelta(days=7),
    )
    return world


def _grow(world: World) -> None:
    """Much more of everything each page or list could show."""
    alice, bob = world.alice, world.bob
    clinic = bob.clinician_profile.clinic
    first = NOW.date() - timedelta(days=DAYS)
    days = [first + timedelta(days=n) for n in range(DAYS - 1)]  # the small world has day 30
    entries = _journal(alice, days)
    colleagues = [ClinicianFactory(clinic=clinic) for _ in range(3)]
    elsewhere = ClinicianFactory(clinic=Clinic.objects.create(name="Elsewhere"))
    for colleague in colleagues:
        MembershipFactory(patient=alice, clinician=colleague)
    _flag(alice, Rule.HIGH_DAILY_TOTAL, FlagStatus.OPEN, entries, severity=Severity.HIGH)
    _flag(alice, Rule.POOR_SLEEP, FlagStatus.OPEN, entries, severity=Severity.LOW)
    for n, colleague in enumerate([bob, *colleagues]):
        _flag(alice, Rule.CO_USE, FlagStatus.ACKNOWLEDGED, entries, by=colleague)
        _flag(alice, Rule.ESCALATION, FlagStatus.RESOLVED, entries, by=colleague)
        Review.objects.create(
            patient=alice, clinician=colleague, reviewed_at=NOW - timedelta(days=n + 1)
        )
    PatientThresholds.objects.create(patient=alice, single_dose_g=Decimal(4))
    for n in range(MORE_PATIENTS):
        patient = PatientFactory(clinic=clinic, timezone="America/Chicago")
        MembershipFactory(patient=patient, clinician=bob)
        MembershipFactory(patient=patient, clinician=colleagues[n % 3])
        theirs = _journal(patient, days[-THEIR_DAYS:])
        _flag(patient, Rule.CO_USE, FlagStatus.OPEN, theirs, severity=Severity.MEDIUM)
        _flag(patient, Rule.POOR_SLEEP, FlagStatus.ACKNOWLEDGED, theirs, by=bob)
        Review.objects.create(patient=patient, clinician=colleagues[n % 3], reviewed_at=NOW)
        Invitation.objects.create(
            email=f"invitee{n}@example.org", clinician=bob, clinic=clinic, expires_at=NOW
        )
    actors = [bob, *colleagues, elsewhere, alice, None]
    AuditEvent.objects.bulk_create(
        AuditEvent(  # at the top of the log, where the page shows them
            at=NOW,
            actor=actors[n % len(actors)],
            patient=alice,
            action=AuditAction.VIEW,
            object_type="patient",
        )
        for n in range(60)
    )


def _journal(patient: User, days: list[date]) -> dict[str, list[Any]]:
    """Each kind's entries on ``days`` (PEG weekly), in the patient's zone: bulk inserts."""
    zone = patient.patient_profile.zone
    entries: dict[str, list[Any]] = {
        "pain-entries": PainEntry.objects.bulk_create(
            PainEntry(patient=patient, recorded_at=_at(day, 20, zone), intensity=day.day % 11)
            for day in days
        ),
        "peg-assessments": PegAssessment.objects.bulk_create(
            PegAssessment(
                patient=patient,
                recorded_at=_at(day, 19, zone),
                pain_average=5,
                enjoyment_interference=4,
                activity_interference=3,
            )
            for day in days
            if day.toordinal() % 7 == days[-1].toordinal() % 7
        ),
        "sleep-entries": SleepEntry.objects.bulk_create(
            SleepEntry(
                patient=patient,
                night_of=day,
                **night_times(day, zone),
                sleep_onset_latency_min=20,
                awakenings=1,
                wake_after_sleep_onset_min=30,
                quality=3,
            )
            for day in days
        ),
        "use-entries": UseEntry.objects.bulk_create(
            UseEntry(
                patient=patient,
                taken_at=_at(day, hour, zone),
                substance=substance,
                amount=amount,
                unit=unit,
                form=form,
            )
            for day in days
            for hour, substance, amount, unit, form in (
                (8, "kratom", Decimal("2.5"), "g", "powder"),
                (21, "kratom", Decimal("3"), "g", "powder"),
                (22, "alcohol", Decimal("1"), "standard_drink", "liquid"),
            )
        ),
    }
    return entries


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


def _flag(
    patient: User,
    rule: Rule,
    status: FlagStatus,
    entries: dict[str, list[Any]],
    *,
    severity: Severity = Severity.MEDIUM,
    by: User | None = None,
) -> Flag:
    """A flag whose evidence names entries of every kind, as the page shows them."""
    kinds = {api: page for page, api in PAGE_KINDS.items()}
    evidence = [
        {"entry_id": str(entry.pk), "kind": kinds[kind], "at": NOW.isoformat(), "values": {}}
        for kind, rows in entries.items()
        for entry in rows[:5]
    ]
    done = status != FlagStatus.OPEN
    return Flag.objects.create(
        patient=patient,
        rule=rule,
        severity=severity,
        status=status,
        window_start=NOW.date() - timedelta(days=DAYS),
        window_end=NOW.date(),
        evidence=evidence,
        acknowledged_by=by,
        acknowledged_at=NOW if done else None,
        resolved_at=NOW if status == FlagStatus.RESOLVED else None,
    )


Count = tuple[int, int]  # (queries, status code)


def _get(case: Case, world: World) -> Count:
    """The request's queries, its streamed body read inside the count."""
    user = {"alice": world.alice, "bob": world.bob}.get(case.role)
    # A fresh copy of the person each time: nothing cached on the instance between requests.
    client = client_for(User.objects.get(pk=user.pk) if user else None)
    url = reverse(case.name, kwargs=case.kwargs(world)) + case.query
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries.captured_queries), response.status_code


@pytest.fixture(scope="module")
def counts(django_db_setup: None, django_db_blocker: Any) -> dict[str, tuple[Count, Count]]:
    """Every case on the small world, then on the grown one. The data is built once for the
    module, in a transaction rolled back before any test runs, to keep the file fast.

    Each world is visited once before it is counted: a first visit may fill what is kept for
    the next (per process: content types; per person: reminder settings; per patient: the
    triage summaries, recomputed after their journal changed). The counts compare the
    visits that follow, the ones every page view but the first makes.
    """
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        world = _small_world()
        for case in CASES:
            _get(case, world)
        small = {case.id: _get(case, world) for case in CASES}
        _grow(world)
        for case in CASES:
            _get(case, world)
        large = {case.id: _get(case, world) for case in CASES}
        transaction.set_rollback(True)
    return {key: (small[key], large[key]) for key in small}


@pytest.mark.django_db  # so that pytest-django sets the test database up
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_query_count_does_not_grow_with_the_data(
    case: Case, counts: dict[str, tuple[Count, Count]]
) -> None:
    (small, small_status), (large, large_status) = counts[case.id]
    assert small_status in (200, 302), small_status
    assert large_status == small_status
    assert large == small, f"{small} queries on the small world, {large} on the large"
