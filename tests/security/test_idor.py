"""IDOR: every route that takes an object id, with every method, tried with ids the caller
must not reach — another patient's, another clinic's, a colleague's patient's, random
UUIDs — answers 404 (pages too), and nothing in the database changes.

The routes come from the URL configuration (as in tests/test_permission_matrix.py): a route
added later with an id in its path is attacked too, and one with a path parameter this
module does not know fails ``test_every_path_parameter_is_known``.

Only the right role out of scope counts (a patient on a clinician route is a 403 or a
redirect by design, tested by the permission matrix). Each attempt's ``control`` twin sends
the same request with the rightful ids as the rightful person and must not be 403/404/400,
so a 404 here means "out of scope", not "bad body" or "no such route".

Cases: 371 attacks (each a request, then a comparison of every domain table and a check of
the audit log) over 43 route × method pairs, plus 57 control requests. Found: no IDOR; every
attack answers 404 and changes nothing.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from journals.forms import FORM_BY_KIND
from journals.models import Flag, Rule, Severity
from journals.selectors import ENTRY_KINDS
from patients import services
from patients.models import AuditEvent, Clinic, User
from patients.permissions import patients_visible_to
from tests.conftest import client_for
from tests.factories import (
    ClinicianFactory,
    MembershipFactory,
    PainEntryFactory,
    PatientFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.test_permission_matrix import NOT_ALLOWED, ROWS

# Path parameters that name an object, and the kind of object they name. ``pk`` depends on
# the route (see ``_pk_kind``).
ID_PARAMS = {
    "patient_pk": "patient",
    "patient_id": "patient",
    "membership_id": "membership",
    "flag_id": "flag",
    "entry_id": "entry",
    "pk": None,
}
# Path parameters that are not object ids:
# - kind / action / change pick a branch of the view from a fixed vocabulary (entry kind,
#   export kind, acknowledge|resolve, revoke|restore); an unknown word is a 404 for anyone.
# - token (invitation-accept, reminder-off) and uidb64 + token (password_reset_confirm) are
#   signed tokens: the signature is the authority, not a database id; forged and tampered
#   tokens are tested in tests/patients/test_invitations.py, tests/journals (reminders) and
#   Django's own password reset tests.
NOT_ID_PARAMS = {"kind", "action", "change", "token", "uidb64"}

# Values for the non-id parameters: every branch is attacked. Entry pages take every kind
# the views know (journals.selectors.ENTRY_KINDS); exports, one.
PAGE_KINDS = {kind: kind for kind in ENTRY_KINDS}
API_ENTRY_KINDS = {
    "pain-entries": "pain",
    "peg-assessments": "peg",
    "sleep-entries": "sleep",
    "use-entries": "use",
}
FACTORIES = {
    "pain": PainEntryFactory,
    "peg": PegAssessmentFactory,
    "sleep": SleepEntryFactory,
    "use": UseEntryFactory,
}
# Methods a function view refuses for everyone (405 from its decorator, before any lookup):
# the permission matrix asserts these; there is no object to reach.
REFUSED = {(row.name, row.method) for row in ROWS if row.expect == NOT_ALLOWED}
# Domain tables compared before and after each attempt. The audit log is append-only and
# checked separately (a refused attempt must not appear as an access in a patient's log).
SKIPPED_MODELS = {AuditEvent}


def _routes(patterns: list[Any]) -> Iterator[tuple[URLPattern, str]]:
    """(pattern, http method) for every route outside Django's own admin."""
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
            for method in sorted(methods):
                yield pattern, method


def _params(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex)


def _pk_kind(name: str) -> str:
    """What ``pk`` names on a route; an unknown route raises (and fails the test)."""
    if name == "patient-detail":
        return "patient"
    if name.startswith("care-team-"):
        return "membership"
    if name.startswith("flag-"):
        return "flag"
    for api_kind in API_ENTRY_KINDS:
        if name in (f"{api_kind}-detail", f"patient-{api_kind}-detail"):
            return "entry"
    raise KeyError(f"route {name!r} takes a pk this test does not know: add it to _pk_kind")


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    ids: dict[str, str]  # path parameter -> object kind (patient, membership, flag, entry)
    variants: list[dict[str, str]]  # values for the non-id parameters

    @property
    def clinician_side(self) -> bool:
        """Routes that name a patient or a flag are the care team's; the rest, a patient's own."""
        return any(kind in ("patient", "flag") for kind in self.ids.values())


def _entry_kind(route: Route, variant: dict[str, str]) -> str:
    if "kind" in variant:
        return PAGE_KINDS[variant["kind"]]
    for api_kind, kind in API_ENTRY_KINDS.items():
        if api_kind in route.name:
            return kind
    raise KeyError(route.name)


def _variants(name: str, params: list[str]) -> list[dict[str, str]]:
    variants: list[dict[str, str]] = [{}]
    if "kind" in params:
        kinds = list(PAGE_KINDS) if "entry_id" in params else ["use"]
        variants = [{**v, "kind": k} for v in variants for k in kinds]
    if "action" in params:
        variants = [{**v, "action": a} for v in variants for a in ("acknowledge", "resolve")]
    if "change" in params:
        variants = [{**v, "change": c} for v in variants for c in ("revoke", "restore")]
    return variants


def id_routes() -> list[Route]:
    routes = []
    for pattern, method in _routes(get_resolver().url_patterns):
        params = _params(pattern)
        ids = {p: ID_PARAMS[p] or _pk_kind(pattern.name or "") for p in params if p in ID_PARAMS}
        if not ids or (pattern.name, method) in REFUSED:
            continue
        name = pattern.name or ""
        routes.append(Route(name, method, ids, _variants(name, params)))
    return routes


ROUTES = id_routes()


@dataclass
class Holder:
    """One patient's objects: the patient, an entry of each kind, an open flag, an active
    and a revoked care-team membership (so both revoke and restore would change a row)."""

    patient: User
    entries: dict[str, Any]
    flag: Flag
    active: Any
    revoked: Any

    def obj(self, kind: str, entry_kind: str, change: str | None) -> str:
        if kind == "patient":
            return str(self.patient.pk)
        if kind == "entry":
            return str(self.entries[entry_kind].pk)
        if kind == "flag":
            return str(self.flag.pk)
        if kind == "membership":
            return str((self.revoked if change == "restore" else self.active).pk)
        raise KeyError(kind)


def _holder(patient: User, clinician: User, clinic: Clinic, team: Any | None = None) -> Holder:
    entries = {kind: factory(patient=patient) for kind, factory in FACTORIES.items()}
    flag = Flag.objects.create(
        patient=patient,
        rule=Rule.CO_USE,
        severity=Severity.HIGH,
        window_start=patient.date_joined.date(),
        window_end=patient.date_joined.date(),
    )
    active = team or MembershipFactory(patient=patient, clinician=clinician)
    revoked = MembershipFactory(patient=patient, clinician=ClinicianFactory(clinic=clinic))
    services.care_team_revoke(membership=revoked)
    return Holder(patient, entries, flag, active, revoked)


@dataclass
class World:
    holders: dict[str, Holder]
    clinicians: dict[str, User]
    clients: dict[str, Any]


@pytest.fixture
def world(alice, erin, bob, carol, dave, alice_team, erin_team, riverside, hillside) -> World:
    hank = PatientFactory(email="hank@example.org", clinic=hillside, timezone="Asia/Tokyo")
    henry = ClinicianFactory(email="henry@example.org", clinic=hillside)
    holders = {
        "alice": _holder(alice, bob, riverside, alice_team),
        "erin": _holder(erin, bob, riverside, erin_team),
        "hank": _holder(hank, henry, hillside),
    }
    people = {"alice": alice, "erin": erin, "hank": hank, "bob": bob, "carol": carol, "dave": dave}
    clinicians = {"bob": bob, "carol": carol, "dave": dave}
    return World(holders, clinicians, {name: client_for(user) for name, user in people.items()})


RANDOM = "random"


@dataclass(frozen=True)
class Attack:
    caller: str
    owners: tuple[str, ...]  # whose object each id parameter names, in Route.ids order

    def __str__(self) -> str:
        return f"{self.caller}->{'+'.join(self.owners)}"


def attacks(route: Route) -> list[Attack]:
    """Who tries which ids on a route: the right role, out of scope."""
    n = len(route.ids)
    cases: list[Attack] = []
    if route.clinician_side:
        # carol (same clinic, not on the team), dave (other clinic) on alice; bob on hank
        # (another clinic's patient); dave on hank (his clinic, not his team).
        for caller, owner in (("carol", "alice"), ("dave", "alice"), ("bob", "hank")):
            cases.append(Attack(caller, (owner,) * n))
        cases.append(Attack("dave", ("hank",) * n))
        for caller in ("bob", "carol", "dave"):
            cases.append(Attack(caller, (RANDOM,) * n))
        if n > 1:
            # bob's own patient in the URL with someone else's object, and the reverse;
            # erin is bob's patient too, so her object is one he could reach by its own URL.
            for owners in (
                ("alice", "hank"),
                ("alice", "erin"),
                ("alice", RANDOM),
                ("hank", "alice"),
                ("erin", "alice"),
                (RANDOM, "alice"),
            ):
                cases.append(Attack("bob", owners))
    else:
        # Another patient of the same clinic and one of another clinic, on alice's objects;
        # everyone with random ids.
        for caller in ("erin", "hank"):
            cases.append(Attack(caller, ("alice",) * n))
        for caller in ("alice", "erin", "hank"):
            cases.append(Attack(caller, (RANDOM,) * n))
    return cases


def _kwargs(
    route: Route, variant: dict[str, str], owners: tuple[str, ...], world: World
) -> dict[str, str]:
    kwargs = dict(variant)
    for (param, kind), owner in zip(route.ids.items(), owners, strict=True):
        if owner == RANDOM:
            kwargs[param] = str(uuid.uuid4())
        else:
            holder = world.holders[owner]
            entry_kind = _entry_kind(route, variant) if kind == "entry" else ""
            kwargs[param] = holder.obj(kind, entry_kind, variant.get("change"))
    return kwargs


def _body(route: Route, variant: dict[str, str], world: World) -> dict[str, Any]:
    """A body the rightful caller's request would succeed with (the controls prove it)."""
    name, method = route.name, route.method
    if method in ("get", "delete"):
        return {}
    if name == "entry-edit":
        entry = world.holders["alice"].entries[_entry_kind(route, variant)]
        form = FORM_BY_KIND[variant["kind"]](instance=entry)
        body = {}
        for field_name, bound in form.fields.items():
            value = form[field_name].value()
            if value is None:
                continue
            if isinstance(value, list | tuple):
                body[field_name] = list(value)
            elif (shown := bound.widget.format_value(value)) is not None:
                body[field_name] = shown
        return {**body, "note": "pwned"}
    if name in ("patient-thresholds", "clinician-thresholds"):
        return {"single_dose_g": "4"} if name.startswith("clinician") else {"single_dose_g": 4}
    if method == "patch" or name in (
        "flag-acknowledge",
        "flag-resolve",
        "patient-review-list",
        "clinician-review-create",
        "clinician-flag-change",
    ):
        return {"note": "pwned"}
    return {}


def _send(client: Any, route: Route, url: str, body: dict[str, Any]) -> Any:
    call = getattr(client, route.method)
    if url.startswith("/api/"):
        return call(url, body, format="json")
    return call(url, body)


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every domain table (patients, journals), by primary key."""
    tables = {}
    for label in ("patients", "journals"):
        for model in apps.get_app_config(label).get_models():
            if model in SKIPPED_MODELS:
                continue
            tables[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return tables


def _cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        cases.append(pytest.param(route, id=f"{route.method}-{route.name}"))
    return cases


def test_every_path_parameter_is_known() -> None:
    """A new route with a path parameter nobody classified fails here, not silently."""
    unknown = {
        (pattern.name, param)
        for pattern, _ in _routes(get_resolver().url_patterns)
        for param in _params(pattern)
        if param not in ID_PARAMS and param not in NOT_ID_PARAMS
    }
    assert unknown == set()


def test_every_entry_kind_has_a_factory() -> None:
    assert set(FACTORIES) == set(ENTRY_KINDS) == set(API_ENTRY_KINDS.values())


def test_the_routes_attacked() -> None:
    """The list is built from the URL conf: these routes at least are in it."""
    names = {(route.name, route.method) for route in ROUTES}
    for expected in (
        ("use-entries-detail", "patch"),
        ("use-entries-detail", "delete"),
        ("flag-acknowledge", "post"),
        ("patient-thresholds", "put"),
        ("patient-review-list", "post"),
        ("care-team-revoke", "post"),
        ("care-team-restore", "post"),
        ("care-team-change", "post"),
        ("entry-edit", "post"),
        ("entry-delete", "post"),
        ("clinician-flag-change", "post"),
        ("clinician-thresholds", "post"),
        ("patient-use-entries-detail", "get"),
    ):
        assert expected in names
    assert not any(route.name in ("invitation-accept", "reminder-off") for route in ROUTES)


@pytest.mark.parametrize("route", _cases())
def test_out_of_scope_ids_are_404_and_change_nothing(route: Route, world: World) -> None:
    failures = []
    users = {name: holder.patient for name, holder in world.holders.items()}
    users.update(world.clinicians)
    for variant in route.variants:
        body = _body(route, variant, world)
        for attack in attacks(route):
            url = reverse(route.name, kwargs=_kwargs(route, variant, attack.owners, world))
            before = _snapshot()
            events = list(AuditEvent.objects.values_list("pk", flat=True))
            response = _send(world.clients[attack.caller], route, url, body)
            where = f"{attack} {variant}"
            if response.status_code != 404:
                failures.append(f"{where}: {response.status_code} {response.content[:200]!r}")
            if _snapshot() != before:
                failures.append(f"{where}: the database changed")
            # A refused attempt is no access to the attacked record: no event names a patient
            # out of the caller's scope. (A patient the caller may see can be named: the
            # clinician entry views audit the patient in the URL before the entry lookup.)
            caller = users[attack.caller]
            leaked = (
                AuditEvent.objects.exclude(pk__in=events)
                .filter(patient__isnull=False)
                .exclude(patient__in=patients_visible_to(caller))
            )
            if leaked.exists():
                failures.append(f"{where}: audit events {list(leaked.values('action'))}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("route", _cases())
def test_control_rightful_caller_gets_through(route: Route, world: World) -> None:
    """The same request with the rightful ids and person is not refused: the 404s above are
    about scope, not about the body or the route."""
    caller = "bob" if route.clinician_side else "alice"
    for variant in route.variants:
        owners = ("alice",) * len(route.ids)
        url = reverse(route.name, kwargs=_kwargs(route, variant, owners, world))
        response = _send(world.clients[caller], route, url, _body(route, variant, world))
        assert response.status_code in (200, 201, 204, 302), (variant, response.content[:500])
        if response.status_code == 200 and route.method == "post" and not url.startswith("/api/"):
            # A page's form answers 200 only when it shows errors: the body was refused.
            raise AssertionError(f"{variant}: form refused {response.content[:300]!r}")
