"""What the CSP forbids is not there to forbid: no inline script, inline style or event-handler
attribute in any template, nor in the pages as served (with the server-drawn SVG charts)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from patients.models import User
from tests.conftest import client_for
from tests.factories import PainEntryFactory, SleepEntryFactory, UseEntryFactory, night_times

INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>"  # a script element without src
    r"|<style\b"  # a style element
    r"|\sstyle\s*="  # a style attribute
    r"|\son[a-z]+\s*="  # onclick=, onload=, ...
    r"|javascript:",
    re.IGNORECASE,
)
# Emails are not pages: no CSP applies to them (and mail clients want inline style).
TEMPLATES = sorted(
    path
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
    if "email" not in path.parent.name and not path.stem.endswith("_email")
)


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_no_template_has_inline_script_style_or_handlers(template):
    assert INLINE.findall(template.read_text()) == []


@pytest.fixture
def journal(alice):
    """Nine days of pain, kratom and sleep, so every chart and table has something to draw."""
    zone = alice.patient_profile.zone
    now = timezone.now()
    for days_ago in range(1, 10):
        when = now - timedelta(days=days_ago)
        day = when.astimezone(zone).date()
        PainEntryFactory(patient=alice, recorded_at=when, intensity=days_ago)
        UseEntryFactory(patient=alice, taken_at=when)
        SleepEntryFactory(patient=alice, night_of=day, **night_times(day, zone))


@pytest.mark.parametrize(
    "path",
    [
        "/today/",
        "/history/",
        "/trends/",
        "/trends/?days=90",
        "/settings/",
        "/settings/care-team/",
        "/checkin/evening/",
        "/checkin/morning/",
    ],
)
def test_a_patients_pages_as_served_have_nothing_inline(alice, alice_team, journal, path):
    response = client_for(alice).get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert INLINE.findall(html) == []


def test_the_trends_page_draws_its_charts_as_inline_svg(alice, journal):
    html = client_for(alice).get("/trends/").content.decode()

    assert html.count("<svg") >= 2


@pytest.mark.parametrize("path", ["/clinic/", "/clinic/patients/{alice}/"])
def test_a_clinicians_pages_as_served_have_nothing_inline(alice, bob, alice_team, journal, path):
    response = client_for(bob).get(path.format(alice=alice.pk))

    assert response.status_code == 200
    assert INLINE.findall(response.content.decode()) == []


@pytest.mark.parametrize("path", ["/signin/", "/password-reset/", "/no-such-page/"])
def test_anonymous_pages_have_nothing_inline(db, path):
    assert INLINE.findall(Client().get(path).content.decode()) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/patients/user/",
        "/admin/patients/user/{bob}/change/",
        "/admin/journals/flag/",
        "/admin/journals/clinicthresholds/add/",
        "/admin/patients/auditevent/",
    ],
)
def test_the_admin_pages_clinic_staff_use_have_nothing_inline(bob, path):
    User.objects.filter(pk=bob.pk).update(is_staff=True, is_superuser=True)
    bob.refresh_from_db()

    response = client_for(bob).get(path.format(bob=bob.pk))

    assert response.status_code == 200
    assert INLINE.findall(response.content.decode()) == []
