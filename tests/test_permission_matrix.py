"""Every endpoint and page against every role (CONVENTIONS.md, "Permissions").

The matrix is checked against the URL configuration: an endpoint or method added later
without a row here fails ``test_every_route_has_a_row``.

Outcomes: a status code, or ``SEES`` / ``BLIND`` for a 200 list that does / does not
contain alice's object. Outside one's scope is 404; the wrong role is 403; no one is 401.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from journals.models import Flag, Review, Rule, Severity
from journals.reminders.compose import unsubscribe_token
from patients import services
from patients.models import Invitation, User
from tests.conftest import client_for
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)

ROLES = ("anonymous", "alice", "erin", "bob", "carol", "dave", "bob_after_revoke")
CLINICIANS = ("bob", "carol", "dave", "bob_after_revoke")
SEES, BLIND = "sees", "blind"
# Pages answer people outside their side with a redirect: to sign in, or to their own home.
TO_SIGNIN, TO_TODAY, TO_CLINIC, TO_HOME = "to:signin", "to:today", "to:clinician-home", "to:home"

# Shorthands for the common rows.
PATIENT_ONLY_LIST = dict(
    anonymous=401, alice=SEES, erin=BLIND, bob=403, carol=403, dave=403, bob_after_revoke=403
)
PATIENT_OWN_OBJECT = dict(
    anonymous=401, alice=200, erin=404, bob=403, carol=403, dave=403, bob_after_revoke=403
)
CLINICIAN_ON_ALICE = dict(
    anonymous=401, alice=403, erin=403, bob=200, carol=404, dave=404, bob_after_revoke=404
)
CLINICIAN_LIST = dict(
    anonymous=401, alice=403, erin=403, bob=SEES, carol=BLIND, dave=BLIND, bob_after_revoke=BLIND
)
EVERYONE_SIGNED_IN = dict(
    anonymous=401, alice=200, erin=200, bob=200, carol=200, dave=200, bob_after_revoke=200
)
PUBLIC = dict.fromkeys(ROLES, 200)
PATIENT_ONLY = dict(
    anonymous=401, alice=200, erin=200, bob=403, carol=403, dave=403, bob_after_revoke=403
)
NOT_ALLOWED = dict.fromkeys(ROLES, 405)
PATIENT_PAGE = dict(
    anonymous=TO_SIGNIN,
    alice=200,
    erin=200,
    bob=TO_CLINIC,
    carol=TO_CLINIC,
    dave=TO_CLINIC,
    bob_after_revoke=TO_CLINIC,
)
PATIENT_PAGE_ON_ALICE = {**PATIENT_PAGE, "erin": 404}
CLINICIAN_PAGE_LIST = dict(
    anonymous=TO_SIGNIN,
    alice=TO_TODAY,
    erin=TO_TODAY,
    bob=SEES,
    carol=BLIND,
    dave=BLIND,
    bob_after_revoke=BLIND,
)
SIGNED_IN_GO_HOME = {**dict.fromkeys(ROLES, TO_HOME), "anonymous": 200}
CLINICIAN_PAGE = {
    **dict.fromkeys(ROLES, 200),
    "anonymous": TO_SIGNIN,
    "alice": TO_TODAY,
    "erin": TO_TODAY,
}
CLINICIAN_PAGE_ON_ALICE = dict(
    anonymous=TO_SIGNIN,
    alice=TO_TODAY,
    erin=TO_TODAY,
    bob=200,
    carol=404,
    dave=404,
    bob_after_revoke=404,
)
# A clinician page's form: back to the page (302) for bob, 404 for everyone outside.
CLINICIAN_FORM_ON_ALICE = {**CLINICIAN_PAGE_ON_ALICE, "bob": 302}


@dataclass
class World:
    """What each row needs: alice's objects, by kind."""

    alice: User
    objects: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    expect: dict[str, int | str]
    kwargs: Callable[[World], dict[str, str]] = lambda world: {}
    body: Callable[[World], dict[str, Any]] = lambda world: {}
    item: Callable[[World], str] | None = None  # the id a SEES list must contain


ENTRY_KINDS = {
    "pain-entries": (
        PainEntryFactory,
        lambda: {"recorded_at": "2026-03-01T20:00:00Z", "intensity": 4},
    ),
    "peg-assessments": (
        PegAssessmentFactory,
        lambda: {
            "recorded_at": "2026-03-01T20:00:00Z",
            "pain_average": 5,
            "enjoyment_interference": 4,
            "activity_interference": 3,
        },
    ),
    "sleep-entries": (
        SleepEntryFactory,
        lambda: {
            "night_of": "2026-02-20",
            "bedtime": "2026-02-20T22:30:00+01:00",
            "lights_out_at": "2026-02-20T22:45:00+01:00",
            "sleep_onset_latency_min": 15,
            "awakenings": 1,
            "wake_after_sleep_onset_min": 10,
            "final_wake_at": "2026-02-21T06:30:00+01:00",
            "rise_at": "2026-02-21T06:45:00+01:00",
            "quality": 4,
        },
    ),
    "use-entries": (
        UseEntryFactory,
        lambda: {
            "taken_at": "2026-03-01T20:00:00Z",
            "substance": "kratom",
            "amount": "2.0",
            "unit": "g",
            "form": "powder",
        },
    ),
}


def _entry_rows(kind: str, new_body: Callable[[], dict[str, Any]]) -> list[Row]:
    entry = lambda world: {"pk": str(world.objects[kind].pk)}  # noqa: E731
    of_alice = lambda world: {"patient_pk": str(world.alice.pk)}  # noqa: E731
    entry_of_alice = lambda world: {**of_alice(world), **entry(world)}  # noqa: E731
    item = lambda world: str(world.objects[kind].pk)  # noqa: E731
    return [
        Row(f"{kind}-list", "get", PATIENT_ONLY_LIST, item=item),
        Row(
            f"{kind}-list",
            "post",
            dict(
                anonymous=401,
                alice=201,
                erin=201,
                bob=403,
                carol=403,
                dave=403,
                bob_after_revoke=403,
            ),
            body=lambda world: new_body(),
        ),
        Row(f"{kind}-detail", "get", PATIENT_OWN_OBJECT, kwargs=entry),
        Row(
            f"{kind}-detail",
            "patch",
            PATIENT_OWN_OBJECT,
            kwargs=entry,
            body=lambda w: {"note": "x"},
        ),
        Row(
            f"{kind}-detail",
            "delete",
            {**PATIENT_OWN_OBJECT, "alice": 204},
            kwargs=entry,
        ),
        Row(f"patient-{kind}-list", "get", CLINICIAN_ON_ALICE, kwargs=of_alice),
        Row(f"patient-{kind}-detail", "get", CLINICIAN_ON_ALICE, kwargs=entry_of_alice),
    ]


def _membership(world: World) -> dict[str, str]:
    return {"pk": str(world.objects["membership"].pk)}


def _flag(world: World) -> dict[str, str]:
    return {"pk": str(world.objects["flag"].pk)}


def _api_of_alice(world: World) -> dict[str, str]:
    return {"patient_pk": str(world.alice.pk)}


PAGE_KIND_TO_API = {
    "pain": "pain-entries",
    "peg": "peg-assessments",
    "sleep": "sleep-entries",
    "use": "use-entries",
}


def _page_entry(kind: str) -> Callable[[World], dict[str, str]]:
    return lambda world: {"kind": kind, "entry_id": str(world.objects[PAGE_KIND_TO_API[kind]].pk)}


def _of_alice(world: World) -> dict[str, str]:
    return {"patient_id": str(world.alice.pk)}


def _flag_of_alice(action: str) -> Callable[[World], dict[str, str]]:
    return lambda world: {
        **_of_alice(world),
        "flag_id": str(world.objects["flag"].pk),
        "action": action,
    }


ROWS: list[Row] = [
    Row(
        "auth-token",
        "post",
        PUBLIC,
        body=lambda world: {"email": "alice@example.org", "password": PASSWORD},
    ),
    Row("auth-token", "delete", {**EVERYONE_SIGNED_IN, **dict.fromkeys(ROLES[1:], 204)}),
    Row(
        "auth-signout-everywhere",
        "post",
        {**EVERYONE_SIGNED_IN, **dict.fromkeys(ROLES[1:], 204)},
    ),
    Row("me", "get", EVERYONE_SIGNED_IN),
    Row("me", "patch", EVERYONE_SIGNED_IN, body=lambda world: {"display_name": "New name"}),
    Row("access-log-list", "get", PATIENT_ONLY),
    Row("reminder-settings", "get", PATIENT_ONLY),
    Row("reminder-settings", "patch", PATIENT_ONLY, body=lambda w: {"evening_time": "20:30"}),
    Row(
        "reminder-settings",
        "put",
        PATIENT_ONLY,
        body=lambda w: {
            "evening_enabled": True,
            "evening_time": "21:00",
            "morning_enabled": False,
            "morning_time": "08:00",
            "quiet_start": "23:00",
            "quiet_end": "07:00",
        },
    ),
    Row("schema", "get", PUBLIC),
    Row("docs", "get", PUBLIC),
    Row("patient-list", "get", CLINICIAN_LIST, item=lambda world: str(world.alice.pk)),
    Row(
        "patient-search",
        "post",
        CLINICIAN_LIST,
        body=lambda world: {"search": world.alice.display_name},
        item=lambda world: str(world.alice.pk),
    ),
    Row(
        "patient-detail",
        "get",
        CLINICIAN_ON_ALICE,
        kwargs=lambda world: {"pk": str(world.alice.pk)},
    ),
    Row("care-team-list", "get", PATIENT_ONLY_LIST, item=lambda w: str(w.objects["membership"].pk)),
    Row("care-team-revoke", "post", PATIENT_OWN_OBJECT, kwargs=_membership),
    Row("care-team-restore", "post", PATIENT_OWN_OBJECT, kwargs=_membership),
    Row(
        "invitation-list",
        "get",
        dict(
            anonymous=401,
            alice=403,
            erin=403,
            bob=SEES,
            carol=BLIND,
            dave=BLIND,
            bob_after_revoke=SEES,
        ),
        item=lambda world: str(world.objects["invitation"].pk),
    ),
    Row(
        "invitation-list",
        "post",
        dict(
            anonymous=401, alice=403, erin=403, bob=201, carol=201, dave=201, bob_after_revoke=201
        ),
        body=lambda world: {"email": "newcomer@example.org"},
    ),
    Row(
        "invitation-accept",
        "get",
        PUBLIC,
        kwargs=lambda world: {"token": services.invitation_token(world.objects["invitation"])},
    ),
    # The link in a reminder email: the signed token is the authority, whoever follows it.
    *[
        Row(
            "reminder-off",
            method,
            PUBLIC,
            kwargs=lambda world: {"token": unsubscribe_token(world.alice, "evening")},
        )
        for method in ("get", "post")
    ],
    *[row for kind, (_, body) in ENTRY_KINDS.items() for row in _entry_rows(kind, body)],
    Row("flag-list", "get", CLINICIAN_LIST, item=lambda world: str(world.objects["flag"].pk)),
    Row("flag-detail", "get", CLINICIAN_ON_ALICE, kwargs=_flag),
    Row("flag-acknowledge", "post", CLINICIAN_ON_ALICE, kwargs=_flag, body=lambda w: {"note": "x"}),
    Row("flag-resolve", "post", CLINICIAN_ON_ALICE, kwargs=_flag, body=lambda w: {"note": "x"}),
    Row("patient-thresholds", "get", CLINICIAN_ON_ALICE, kwargs=_api_of_alice),
    Row(
        "patient-thresholds",
        "put",
        CLINICIAN_ON_ALICE,
        kwargs=_api_of_alice,
        body=lambda world: {"single_dose_g": 4, "pain_high": None},
    ),
    Row(
        "patient-review-list",
        "get",
        {**CLINICIAN_ON_ALICE, "bob": SEES},
        kwargs=_api_of_alice,
        item=lambda world: str(world.objects["review"].pk),
    ),
    Row(
        "patient-review-list",
        "post",
        {**CLINICIAN_ON_ALICE, "bob": 201},
        kwargs=_api_of_alice,
        body=lambda world: {"note": "Seen."},
    ),
    # Exports and imports (issue #7). The import reads multipart only: JSON is a 415.
    Row("me-fhir", "get", PATIENT_ONLY),
    Row("patient-fhir", "get", CLINICIAN_ON_ALICE, kwargs=_api_of_alice),
    Row("me-export", "get", PATIENT_ONLY, kwargs=lambda world: {"kind": "use"}),
    Row(
        "patient-export",
        "get",
        CLINICIAN_ON_ALICE,
        kwargs=lambda world: {**_api_of_alice(world), "kind": "use"},
    ),
    Row(
        "me-import",
        "post",
        {**PATIENT_ONLY, "alice": 415, "erin": 415},
        kwargs=lambda world: {"kind": "use"},
    ),
    # Pages
    Row(
        "home",
        "get",
        dict(
            anonymous=TO_SIGNIN,
            alice=TO_TODAY,
            erin=TO_TODAY,
            bob=TO_CLINIC,
            carol=TO_CLINIC,
            dave=TO_CLINIC,
            bob_after_revoke=TO_CLINIC,
        ),
    ),
    Row("home", "post", NOT_ALLOWED),
    Row("signin", "get", SIGNED_IN_GO_HOME),
    Row("signin", "post", SIGNED_IN_GO_HOME),
    # Django's form views take PUT as POST.
    Row("signin", "put", SIGNED_IN_GO_HOME),
    Row("password_reset", "put", PUBLIC),
    Row("signout", "post", dict.fromkeys(ROLES, TO_SIGNIN)),
    # A bookmarked or typed /signout/ shows the button; only its POST signs out.
    Row("signout", "get", {**dict.fromkeys(ROLES, 200), "anonymous": TO_SIGNIN}),
    # The second step needs a password checked first, in the same session: back to sign in.
    *[
        Row(name, method, dict.fromkeys(ROLES, TO_SIGNIN))
        for name in ("signin-code", "signin-setup")
        for method in ("get", "post")
    ],
    Row("signout-everywhere", "post", dict.fromkeys(ROLES, TO_SIGNIN)),
    Row("signout-everywhere", "get", NOT_ALLOWED),
    Row("account-security", "get", {**EVERYONE_SIGNED_IN, "anonymous": TO_SIGNIN}),
    # A patient without two-step sign-in sees the set-up form again (no code); the others
    # have it on and go back to the page.
    Row(
        "account-security",
        "post",
        {
            **dict.fromkeys(ROLES, "to:account-security"),
            "anonymous": TO_SIGNIN,
            "alice": 200,
            "erin": 200,
        },
    ),
    Row(
        "backup-codes-renew",
        "post",
        {
            **dict.fromkeys(ROLES, 200),
            "anonymous": TO_SIGNIN,
            "alice": "to:account-security",
            "erin": "to:account-security",
        },
    ),
    Row("backup-codes-renew", "get", NOT_ALLOWED),
    Row("password_reset", "get", PUBLIC),
    Row("password_reset", "post", PUBLIC),
    Row("password_reset_done", "get", PUBLIC),
    Row(
        "password_reset_confirm",
        "get",
        PUBLIC,
        kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-token"},
    ),
    Row(
        "password_reset_confirm",
        "post",
        PUBLIC,
        kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-token"},
    ),
    Row(
        "password_reset_confirm",
        "put",
        PUBLIC,
        kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-token"},
    ),
    Row("password_reset_complete", "get", PUBLIC),
    Row("settings", "get", PATIENT_PAGE),
    Row("settings", "post", PATIENT_PAGE),
    Row(
        "care-team",
        "get",
        {**PATIENT_PAGE, "alice": SEES, "erin": BLIND},
        item=lambda world: str(world.objects["membership"].pk),
    ),
    Row("care-team", "post", NOT_ALLOWED),
    Row("access-log", "get", PATIENT_PAGE),
    Row("access-log", "post", NOT_ALLOWED),
    Row(
        "care-team-change",
        "post",
        {**PATIENT_PAGE_ON_ALICE, "alice": "to:care-team"},
        kwargs=lambda world: {
            "membership_id": str(world.objects["membership"].pk),
            "change": "revoke",
        },
    ),
    Row(
        "care-team-change",
        "get",
        NOT_ALLOWED,
        kwargs=lambda world: {
            "membership_id": str(world.objects["membership"].pk),
            "change": "revoke",
        },
    ),
    Row(
        "clinician-home",
        "get",
        CLINICIAN_PAGE_LIST,
        item=lambda world: world.alice.email,
    ),
    Row("clinician-home", "post", {**CLINICIAN_PAGE, **dict.fromkeys(CLINICIANS, TO_CLINIC)}),
    *[Row("clinician-settings", method, CLINICIAN_PAGE) for method in ("get", "post")],
    Row("visit-summary", "get", PATIENT_PAGE),
    Row("visit-summary", "post", NOT_ALLOWED),
    Row("clinician-visit-summary", "get", CLINICIAN_PAGE_ON_ALICE, kwargs=_of_alice),
    Row("clinician-visit-summary", "post", NOT_ALLOWED, kwargs=_of_alice),
    Row("clinician-patient", "get", CLINICIAN_PAGE_ON_ALICE, kwargs=_of_alice),
    Row("clinician-patient", "post", NOT_ALLOWED, kwargs=_of_alice),
    *[
        Row("clinician-flag-change", method, expect, kwargs=_flag_of_alice(action))
        for action in ("acknowledge", "resolve")
        for method, expect in (("post", CLINICIAN_FORM_ON_ALICE), ("get", NOT_ALLOWED))
    ],
    Row("clinician-review-create", "post", CLINICIAN_FORM_ON_ALICE, kwargs=_of_alice),
    Row("clinician-review-create", "get", NOT_ALLOWED, kwargs=_of_alice),
    Row(
        "clinician-thresholds",
        "post",
        CLINICIAN_FORM_ON_ALICE,
        kwargs=_of_alice,
        body=lambda world: {"single_dose_g": "4"},
    ),
    Row("clinician-thresholds", "get", NOT_ALLOWED, kwargs=_of_alice),
    Row("today", "get", PATIENT_PAGE),
    Row("today", "post", NOT_ALLOWED),
    Row("checkin-evening", "get", PATIENT_PAGE),
    Row("checkin-evening", "post", PATIENT_PAGE),
    Row("checkin-morning", "get", PATIENT_PAGE),
    Row("checkin-morning", "post", PATIENT_PAGE),
    Row("history", "get", PATIENT_PAGE),
    Row("history", "post", NOT_ALLOWED),
    Row("trends", "get", PATIENT_PAGE),
    Row("trends", "post", NOT_ALLOWED),
    Row("history-export", "get", PATIENT_PAGE, kwargs=lambda world: {"kind": "use"}),
    Row("history-export", "post", NOT_ALLOWED, kwargs=lambda world: {"kind": "use"}),
    Row("history-import", "get", PATIENT_PAGE),
    Row("history-import", "post", PATIENT_PAGE),  # no file: the form again, with errors
    *[
        Row(
            "clinician-patient-export",
            method,
            expect,
            kwargs=lambda world: {**_of_alice(world), "kind": "use"},
        )
        for method, expect in (("get", CLINICIAN_PAGE_ON_ALICE), ("post", NOT_ALLOWED))
    ],
    *[
        Row(name, method, expect, kwargs=_page_entry(kind))
        for kind in ("pain", "peg", "sleep", "use")
        for name, method, expect in (
            ("entry-edit", "get", PATIENT_PAGE_ON_ALICE),
            ("entry-edit", "post", PATIENT_PAGE_ON_ALICE),
            ("entry-delete", "get", PATIENT_PAGE_ON_ALICE),
            ("entry-delete", "post", {**PATIENT_PAGE_ON_ALICE, "alice": "to:history"}),
        )
    ],
]


def _routes(patterns: list[Any], in_admin: bool = False) -> Iterator[tuple[str, str]]:
    """(url name, http method) for every route outside Django's own admin."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _routes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            actions = getattr(callback, "actions", None)
            view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
            if actions:
                methods = set(actions) - {"options", "head"}
            elif view_class is not None:
                methods = {m for m in view_class.http_method_names if hasattr(view_class, m)}
                methods -= {"options", "head"}
            else:
                methods = {"get", "post"}  # plain function views: a page and its form
            for method in methods:
                yield pattern.name or "", method


def test_every_route_has_a_row() -> None:
    routes = set(_routes(get_resolver().url_patterns))
    # invitation-accept's POST is the form submit: tested in tests/patients/test_invitations.py
    rows = {(row.name, row.method) for row in ROWS} | {("invitation-accept", "post")}
    assert routes - rows == set(), "routes without a row in the permission matrix"
    assert rows - routes == set(), "rows for routes that no longer exist"


@pytest.fixture
def world(alice, erin, bob, carol, dave, alice_team, erin_team) -> World:
    world = World(alice=alice)
    for kind, (factory, _) in ENTRY_KINDS.items():
        world.objects[kind] = factory(patient=alice)
        factory(patient=erin)
    world.objects["membership"] = alice_team
    world.objects["flag"] = Flag.objects.create(
        patient=alice,
        rule=Rule.CO_USE,
        severity=Severity.HIGH,
        window_start=alice.date_joined.date(),
        window_end=alice.date_joined.date(),
    )
    # A stale membership across clinics (say alice moved clinic): it must grant nothing.
    MembershipFactory(patient=alice, clinician=dave)
    world.objects["invitation"] = Invitation.objects.create(
        email="invitee@example.org",
        clinician=bob,
        clinic=bob.clinician_profile.clinic,
        expires_at=alice.date_joined.replace(year=alice.date_joined.year + 1),
    )
    Flag.objects.create(
        patient=erin,
        rule=Rule.CO_USE,
        severity=Severity.HIGH,
        window_start=erin.date_joined.date(),
        window_end=erin.date_joined.date(),
    )
    world.objects["review"] = Review.objects.create(patient=alice, clinician=bob)
    return world


def _caller(role: str, world: World, request: pytest.FixtureRequest) -> User | None:
    if role == "anonymous":
        return None
    if role == "bob_after_revoke":
        services.care_team_revoke(membership=world.objects["membership"])
        return request.getfixturevalue("bob")
    return request.getfixturevalue(role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method}-{row.name}")
def test_matrix(row: Row, role: str, world: World, request: pytest.FixtureRequest) -> None:
    user = _caller(role, world, request)
    client = client_for(user)
    url = reverse(row.name, kwargs=row.kwargs(world))
    if url.startswith("/api/"):
        response = getattr(client, row.method)(url, row.body(world), format="json")
    else:
        response = getattr(client, row.method)(url, row.body(world))
    expected = row.expect[role]
    if expected in (SEES, BLIND):
        assert response.status_code == 200, response.content
        assert row.item is not None
        assert (row.item(world) in _shown(response)) is (expected == SEES)
    elif isinstance(expected, str) and expected.startswith("to:"):
        assert response.status_code == 302, response.content
        assert response["Location"].split("?")[0] == reverse(expected.removeprefix("to:"))
    else:
        assert response.status_code == expected, response.content


def _shown(response: Any) -> set[str] | str:
    """The ids a JSON list shows, or a page's text."""
    if response["Content-Type"].startswith("text/html"):
        return response.content.decode()
    payload = response.json()
    results = payload["results"] if isinstance(payload, dict) else payload
    return {item["id"] for item in results}
