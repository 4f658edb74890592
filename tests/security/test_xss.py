"""Stored XSS (issue 6): every free-text field a person can write, written through the real
API or service (so validation applies) with hostile payloads, is shown escaped on every page
that displays it, to every person who can see it.

Fields (13): the ``note`` of the four journal entry kinds (API), a use entry's ``product``
(API), a patient's ``display_name`` (``PATCH /api/v1/me/``) and ``email`` (a quoted local
part such as ``"<script>alert(1)</script>"@example.org`` is a valid address; used only where
validation takes it), a clinician's ``display_name`` and ``title`` (``clinician_create``), a
clinic's ``name`` (``clinic_get_or_create``), a review's ``note`` and an acknowledged and a
resolved flag's ``note`` (API). Not free text: choices, ``AuditEvent.request_id`` (incoming
ids must match ``[A-Za-z0-9][A-Za-z0-9._:-]{0,63}``), ``ip_address`` (an IP field),
``Delivery.last_error`` (written by the app).

Pages (32): 18 a patient sees (edit and delete pages of all four kinds, the check-ins and
account security included), 5 a clinician sees, 8 Django admin pages clinic staff see, and
the invitation page.

Cases tried (a run): 6 payloads x 13 fields x 32 pages = 2496 "never unescaped" checks;
192 pages parsed with html.parser (no ``on*`` attribute, no ``javascript:`` URL, no inline
script content); 330 "shown, escaped, where displayed" checks (56 per payload, 54 when the
payload cannot be an email address); 12 hostile invitation addresses (8 refused with 400,
4 valid ones shown escaped on the invitation page and the admin's invitations); 12 emails
read (plain text only); 24 CSV downloads read; 6 search terms reflected on the triage page.
Found: nothing unescaped. Checked to fail: with ``|safe`` put on the History note and the
care-team title, the payloads carrying markup (4 of 6) fail this test.
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import escape

from journals.models import Delivery, Flag, FlagStatus, ReminderKind, Rule, Severity
from journals.reminders.compose import compose
from patients import services as patient_services
from patients.models import Invitation, User
from tests.conftest import client_for
from tests.factories import PASSWORD, ClinicianFactory
from tests.journals.helpers import NOW, own_url, valid_body

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "javascript-url": "javascript:alert(1)",
    "textarea-break": "</textarea><svg onload=alert(1)>",
    "template": "{{7*7}}",
    "attribute": '" autofocus onfocus="alert(1)',
}

ENTRY_KINDS = {
    "pain": "pain-entries",
    "peg": "peg-assessments",
    "sleep": "sleep-entries",
    "use": "use-entries",
}

FIELDS = (
    "pain-note",
    "peg-note",
    "sleep-note",
    "use-note",
    "use-product",
    "patient-name",
    "patient-email",
    "clinician-name",
    "clinician-title",
    "clinic-name",
    "review-note",
    "flag-ack-note",
    "flag-resolve-note",
)

# Where each field is displayed: the page must show it, escaped. A field missing from a
# page's row is not shown there (it is still checked never to appear unescaped).
PATIENT_PAGES = {
    "/today/": set(),
    "/history/": {"pain-note", "peg-note", "sleep-note", "use-note", "use-product"},
    "/trends/": set(),
    "/trends/summary/": set(),
    "/settings/": {"patient-name"},
    "/settings/care-team/": {"clinician-name", "clinician-title"},
    "/settings/access-log/": {"clinician-name", "clinician-title", "clinic-name"},
    "/checkin/evening/": set(),
    "/checkin/morning/": set(),
    "/account/security/": set(),
    **{
        f"/history/{kind}/{{{kind}}}/{page}/": (
            {f"{kind}-note", "use-product"} if kind == "use" else {f"{kind}-note"}
        )
        for kind in ENTRY_KINDS
        for page in ("edit", "delete")
    },
}
CLINICIAN_PAGES = {
    "/clinic/": {"patient-name", "patient-email"},
    "/clinic/patients/{patient}/": {
        "patient-name",
        "clinician-name",
        "pain-note",
        "peg-note",
        "sleep-note",
        "use-note",
        "use-product",
        "review-note",
        "flag-ack-note",
        "flag-resolve-note",
    },
    "/clinic/patients/{patient}/summary/": {
        "patient-name",
        "clinician-name",
        "review-note",
        "flag-ack-note",
        "flag-resolve-note",
    },
    "/clinic/settings/": {"clinician-name"},
    "/account/security/": set(),
}
STAFF_PAGES = {
    "/admin/journals/flag/": set(),
    "/admin/journals/flag/{flag_ack}/change/": {"patient-name", "clinician-name", "flag-ack-note"},
    "/admin/journals/delivery/": {"patient-name"},
    "/admin/patients/auditevent/": {"patient-name", "clinician-name"},
    "/admin/patients/user/": {"patient-name", "patient-email", "clinician-name"},
    "/admin/patients/user/{clinician}/change/": {
        "clinician-name",
        "clinician-title",
        "clinic-name",
    },
    "/admin/patients/clinic/": {"clinic-name"},
    "/admin/patients/invitation/": {"clinician-name", "clinic-name"},
}
ANONYMOUS_PAGES = {"/invite/{token}/": {"clinician-name", "clinic-name"}}
ALL_PAGES = (PATIENT_PAGES, CLINICIAN_PAGES, STAFF_PAGES, ANONYMOUS_PAGES)
PAGE_COUNT = sum(len(pages) for pages in ALL_PAGES)

# Attributes whose value a browser may follow as a URL.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def value(field: str, payload: str) -> str:
    """The payload first (so ``javascript:`` starts the value), then which field it is in."""
    return f"{payload}~{field}"


class Elements(HTMLParser):
    """What a browser would make of a page: the elements, attributes and script contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, content in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and (content or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={content!r}>")
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"<script> with inline content {data.strip()[:40]!r}")


def page_problems(html: str, payload: str, shown: set[str]) -> list[str]:
    """Everything wrong with one page: a raw payload, a shown field missing in its escaped
    form, an event-handler attribute, a ``javascript:`` URL, an inline script."""
    problems = []
    for field in FIELDS:
        raw, escaped = value(field, payload), escape(value(field, payload))
        if raw != escaped and raw in html:
            problems.append(f"{field} unescaped")
        if field in shown and escaped not in html:
            problems.append(f"{field} not shown escaped")
        if "{{" in payload and f"49~{field}" in html:
            problems.append(f"{field} evaluated as a template")
    parser = Elements()
    parser.feed(html)
    parser.close()
    return problems + parser.problems


@pytest.fixture
def frozen(db: None) -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


def hostile_email(payload: str) -> str | None:
    """The payload as the quoted local part of an address, when that is a valid address
    (``"<script>alert(1)</script>"@example.org`` is); None when validation refuses it."""
    address = f'"{value("patient-email", payload)}"@example.org'
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.content
    body: dict[str, Any] = response.json()
    return body


def _flag(patient: User, rule: str) -> Flag:
    """Flags are raised by the rules, not written by anyone: made as the rules make them."""
    return Flag.objects.create(
        patient=patient,
        rule=rule,
        severity=Severity.HIGH,
        status=FlagStatus.OPEN,
        window_start=date(2026, 4, 1),
        window_end=date(2026, 4, 1),
        evidence=[],
    )


def hostile_world(payload: str) -> dict[str, Any]:
    """A clinic, its clinician and patient, and every free-text field holding the payload,
    each written the way a person writes it."""
    clinic, _ = patient_services.clinic_get_or_create(name=value("clinic-name", payload))
    clinician = patient_services.clinician_create(
        clinic=clinic,
        email="xena@example.org",
        password=PASSWORD,
        display_name=value("clinician-name", payload),
        title=value("clinician-title", payload),
    )
    patient = patient_services.patient_create(
        clinic=clinic,
        email=hostile_email(payload) or "pat@example.org",
        password=PASSWORD,
        timezone_name="Europe/Berlin",
        clinician=clinician,
    )
    as_patient, as_clinician = client_for(patient), client_for(clinician)

    _created(as_patient.patch("/api/v1/me/", {"display_name": value("patient-name", payload)}))
    entries = {}
    for kind, route in ENTRY_KINDS.items():
        extra: dict[str, Any] = {"product": value("use-product", payload)} if kind == "use" else {}
        if kind == "sleep":
            extra["night_of"] = date(2026, 3, 31)  # recent: on the clinician's page too
        body = valid_body(route, note=value(f"{kind}-note", payload), **extra)
        entries[kind] = _created(as_patient.post(own_url(route), body))["id"]

    _created(
        as_clinician.post(
            f"/api/v1/patients/{patient.pk}/reviews/", {"note": value("review-note", payload)}
        )
    )
    flag_ack, flag_resolve = _flag(patient, Rule.CO_USE), _flag(patient, Rule.HIGH_SINGLE_DOSE)
    _created(
        as_clinician.post(
            f"/api/v1/flags/{flag_ack.pk}/acknowledge/", {"note": value("flag-ack-note", payload)}
        )
    )
    _created(
        as_clinician.post(
            f"/api/v1/flags/{flag_resolve.pk}/resolve/",
            {"note": value("flag-resolve-note", payload)},
        )
    )
    invitation = _created(
        as_clinician.post("/api/v1/invitations/", {"email": "newcomer@example.org"})
    )
    delivery = Delivery.objects.create(
        recipient=patient,
        kind=ReminderKind.EVENING,
        local_date=date(2026, 4, 2),
        due_at=datetime(2026, 4, 2, 17, tzinfo=UTC),
    )

    staff = ClinicianFactory(email="staff@example.org", clinic=clinic, is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_flag",
                "view_delivery",
                "view_auditevent",
                "view_user",
                "view_clinicianprofile",
                "view_patientprofile",
                "view_clinic",
                "view_invitation",
            ]
        )
    )
    ids = {
        "patient": patient.pk,
        "clinician": clinician.pk,
        "flag_ack": flag_ack.pk,
        "token": patient_services.invitation_token(Invitation.objects.get(pk=invitation["id"])),
        **entries,
    }
    return {
        "clinic": clinic,
        "patient": patient,
        "clinician": clinician,
        "staff": staff,
        "delivery": delivery,
        "invitation": invitation,
        "ids": ids,
    }


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_every_free_text_field_is_shown_escaped_on_every_page(frozen, payload):
    world = hostile_world(payload)
    ids = world["ids"]
    # The clinician's pages first: their reads are what the patient's access log shows.
    visits = [
        (world["clinician"], CLINICIAN_PAGES),
        (world["patient"], PATIENT_PAGES),
        (world["staff"], STAFF_PAGES),
        (None, ANONYMOUS_PAGES),
    ]
    problems = {}
    pages = 0
    for person, page_set in visits:
        client = client_for(person)
        for template, shown in page_set.items():
            path = template.format(**ids)
            response = client.get(path)
            pages += 1
            if response.status_code != 200:
                problems[template] = [f"status {response.status_code}"]
                continue
            if hostile_email(payload) is None:
                shown = shown - {"patient-email"}
            found = page_problems(response.content.decode(), payload, shown)
            if found:
                problems[template] = found

    assert pages == PAGE_COUNT == 32
    assert problems == {}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_an_invitation_email_is_refused_or_shown_escaped(frozen, payload, bob, riverside):
    """An email is free text too: validation refuses hostile addresses, and one it takes
    (a quoted local part may hold ``<`` and ``>``) is shown escaped to the invitee."""
    client = client_for(bob)
    staff = ClinicianFactory(email="staff@example.org", clinic=riverside, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_invitation"))
    for address in (f"{payload}@example.org", f'"{payload}"@example.org'):
        response = client.post("/api/v1/invitations/", {"email": address})
        if response.status_code == 400:
            assert "email" in response.json()
            assert not Invitation.objects.filter(email__iexact=address).exists()
            continue
        assert response.status_code == 201
        invitation = Invitation.objects.get(pk=response.json()["id"])
        token = patient_services.invitation_token(invitation)
        for person, path in ((None, f"/invite/{token}/"), (staff, "/admin/patients/invitation/")):
            html = client_for(person).get(path).content.decode()
            assert escape(invitation.email) in html
            if escape(invitation.email) != invitation.email:
                assert invitation.email not in html
            parser = Elements()
            parser.feed(html)
            assert parser.problems == []


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_emails_are_plain_text_and_carry_the_names_verbatim(frozen, payload, settings):
    """Emails have no HTML part, so a name in them is text, whatever it holds; and a name
    cannot add a header."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = hostile_world(payload)

    delivery = Delivery.objects.select_related("recipient").get(pk=world["delivery"].pk)
    reminder = compose(delivery)
    invitation = Invitation.objects.get(pk=world["invitation"]["id"])
    assert patient_services.invitation_send(invitation_id=invitation.pk)

    assert reminder is not None
    first_word = value("patient-name", payload).split(" ")[0]
    assert first_word in reminder.body
    assert "\n" not in reminder.subject
    [sent] = mail.outbox
    assert sent.content_subtype == "plain"
    assert getattr(sent, "alternatives", []) == []
    assert sent.attachments == []
    assert value("clinician-name", payload) in sent.body
    assert value("clinic-name", payload) in sent.subject
    assert "\n" not in sent.subject
    assert "\r" not in sent.subject


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_csv_exports_are_downloads_holding_the_values_as_written(frozen, payload):
    """A CSV is served as an attachment, never as a page: the values are data, as written."""
    world = hostile_world(payload)
    patient = world["patient"]
    downloads = [
        (world["patient"], "/history/export/use.csv"),
        (world["patient"], "/history/export/pain.csv"),
        (world["clinician"], f"/clinic/patients/{patient.pk}/export/use.csv"),
        (world["clinician"], f"/clinic/patients/{patient.pk}/export/pain.csv"),
    ]
    for person, path in downloads:
        response = client_for(person).get(path)

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        text = b"".join(response.streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(text)))
        kind = "use" if "use.csv" in path else "pain"
        assert [row["note"] for row in rows] == [value(f"{kind}-note", payload)]
        if kind == "use":
            assert [row["product"] for row in rows] == [value("use-product", payload)]


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_search_term_is_reflected_escaped(payload, bob, alice_team):
    """Not stored, but the one free text a page sends back: the triage page's search box."""
    client = client_for(bob)
    client.post("/clinic/", {"q": payload})
    response = client.get("/clinic/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{escape(payload)}"' in html
    if escape(payload) != payload:
        assert payload not in html
    parser = Elements()
    parser.feed(html)
    assert parser.problems == []


# The checker itself: it must see what it is there to see.

SCRIPT = PAYLOADS["script"]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (f"<p>{escape(value('pain-note', SCRIPT))}</p>", []),
        (
            f"<p>{value('pain-note', SCRIPT)}</p>",
            [
                "pain-note unescaped",
                "pain-note not shown escaped",
                "<script> with inline content 'alert(1)'",
            ],
        ),
        ("<p>nothing</p>", ["pain-note not shown escaped"]),
        ('<img src="x" onerror="alert(1)">', ["<img onerror=...>"]),
        ('<input value="" autofocus onfocus="alert(1)">', ["<input onfocus=...>"]),
        ('<a href=" JavaScript:alert(1)">x</a>', ["<a href=' JavaScript:alert(1)'>"]),
        ("<script>alert(1)</script>", ["<script> with inline content 'alert(1)'"]),
        ('<script src="/static/app.js"></script>', []),
    ],
)
def test_the_checker_finds_what_a_browser_would_run(html, expected):
    found = page_problems(html, SCRIPT, shown={"pain-note"} if "<p>" in html else set())

    assert found == expected


def test_the_checker_finds_a_template_that_was_evaluated():
    html = f"<p>49~pain-note {escape(value('pain-note', PAYLOADS['template']))}</p>"

    assert page_problems(html, PAYLOADS["template"], {"pain-note"}) == [
        "pain-note evaluated as a template"
    ]


def test_the_number_of_cases_is_the_one_recorded_above():
    """fields × payloads × pages, as the module docstring and the issue's note say."""
    shown = sum(len(fields) for pages in ALL_PAGES for fields in pages.values())

    assert (len(PAYLOADS), len(FIELDS), PAGE_COUNT) == (6, 13, 32)
    assert len(PAYLOADS) * len(FIELDS) * PAGE_COUNT == 2496
    assert shown == 56
