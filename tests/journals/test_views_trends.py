"""The Trends page: a weekly summary, then charts on one date axis, then the same as tables.

The clock stands at 2026-04-02 12:00 UTC (``frozen_now``): 14:00 on Thursday 2 April in
alice's Berlin.
"""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journals.choices import Form, Unit
from tests.conftest import client_for
from tests.factories import (
    PainEntryFactory,
    PegAssessmentFactory,
    SleepEntryFactory,
    UseEntryFactory,
)
from tests.journals.helpers import local

TODAY = date(2026, 4, 2)
SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def page(user, query=""):
    response = client_for(user).get(f"/trends/{query}")
    assert response.status_code == 200
    return response.content.decode()


def svgs(html):
    return [ET.fromstring(block) for block in SVG_BLOCK.findall(html)]  # noqa: S314 (ours)


def window_of(svg):
    return date.fromisoformat(svg.get("data-start")), date.fromisoformat(svg.get("data-end"))


def log_day(patient, day, *, pain=5, grams="2.5"):
    PainEntryFactory(patient=patient, recorded_at=local(day, 20), intensity=pain)
    UseEntryFactory(patient=patient, taken_at=local(day, 21), amount=Decimal(grams))
    SleepEntryFactory(patient=patient, night_of=day)


@pytest.mark.parametrize("days", [7, 30, 90])
def test_each_window_draws_three_charts_over_its_days(alice, frozen_now, days):
    html = page(alice, f"?days={days}")

    charts = svgs(html)
    assert [svg.get("class").split()[-1] for svg in charts] == [
        "trend-pain",
        "trend-sleep",
        "trend-kratom",
    ]
    assert {window_of(svg) for svg in charts} == {(TODAY - timedelta(days=days - 1), TODAY)}
    assert f'<a href="?days={days}" aria-current="page">{days} days</a>' in html


@pytest.mark.parametrize("query", ["", "?days=", "?days=14", "?days=abc", "?days=-30", "?days=7x"])
def test_a_missing_or_unknown_window_shows_30_days(alice, frozen_now, query):
    html = page(alice, query)

    assert {window_of(svg) for svg in svgs(html)} == {(date(2026, 3, 4), TODAY)}
    assert html.count('aria-current="page"') == 2  # the main menu's Trends, and 30 days
    assert '<a href="?days=30" aria-current="page">30 days</a>' in html


def test_the_page_reads_summary_then_charts_then_tables(alice, frozen_now):
    html = page(alice)

    summary = html.index('id="summary-heading"')
    first_chart = html.index("<svg")
    first_table = html.index('<details class="trend-data"')
    assert summary < first_chart < first_table
    assert html.index("</svg>", html.rindex("<svg")) < first_table


def test_the_summary_compares_this_week_with_the_week_before(alice, frozen_now):
    log_day(alice, TODAY, pain=5, grams="2")
    log_day(alice, TODAY - timedelta(days=2), pain=6, grams="3")
    log_day(alice, TODAY - timedelta(days=8), pain=7, grams="4")

    html = page(alice, "?days=7")

    assert "Average pain this week 5.5, down from 7.0 the week before." in html
    assert "Average kratom leaf per logged day this week 2.5 g, down from 4.0 g" in html
    # The factory's night: 8 h from lights out, less SOL 20 and WASO 30; 510 min in bed.
    assert "Average total sleep this week 6 h 55 min, the same as the week before." in html
    assert "Average sleep efficiency this week 83.8%, the same as the week before." in html


def test_a_new_patient_reads_no_entries_and_empty_charts(alice, frozen_now):
    html = page(alice)

    assert "Average pain: no entries this week or the week before." in html
    assert "No daily pain entries. No PEG scores." in html
    assert "<table" not in html
    assert len(svgs(html)) == 3


def test_each_chart_has_a_text_alternative_table(alice, frozen_now):
    log_day(alice, TODAY - timedelta(days=1), pain=6, grams="3.5")
    PegAssessmentFactory(patient=alice, recorded_at=local(TODAY, 9))
    UseEntryFactory(
        patient=alice, taken_at=local(TODAY, 10), form=Form.SEVEN_OH, unit=Unit.MG, amount=10
    )

    html = page(alice)

    assert "<summary>Pain: 2 days with entries</summary>" in html
    assert '<th scope="row">Wed 1 Apr</th><td>6.0</td><td>no entry</td>' in html
    assert '<th scope="row">Thu 2 Apr</th><td>no entry</td><td>5.0</td>' in html
    assert '<th scope="row">Wed 1 Apr</th><td>6 h 55 min</td><td>83.8%</td>' in html
    # Today's only kratom was a 7-OH product: logged, and no leaf grams.
    assert '<th scope="row">Thu 2 Apr</th><td>0.0</td>' in html
    assert '<th scope="row">Wed 1 Apr</th><td>3.5</td>' in html


def test_every_chart_is_an_image_with_a_title_and_description(alice, frozen_now):
    log_day(alice, TODAY)

    for svg in svgs(page(alice)):
        ns = "{http://www.w3.org/2000/svg}"
        assert svg.get("role") == "img"
        assert svg.find(f"{ns}title").text
        assert svg.find(f"{ns}desc").text
        assert svg.get("viewBox")


def test_the_charts_put_a_day_at_the_same_x(alice, frozen_now):
    log_day(alice, TODAY - timedelta(days=3))

    centres = []
    for svg in svgs(page(alice, "?days=90")):
        mark = next(el for el in svg.iter() if el.get("data-date") == "2026-03-30")
        if mark.tag.endswith("circle"):
            centres.append(float(mark.get("cx")))
        else:
            centres.append(float(mark.get("x")) + float(mark.get("width")) / 2)

    assert len(centres) == 3
    assert centres == [pytest.approx(centres[0], abs=0.011)] * 3


def test_only_the_patients_own_entries_are_shown(alice, erin, frozen_now):
    log_day(erin, TODAY, pain=9)

    html = page(alice)

    assert "Average pain: no entries this week or the week before." in html


def test_the_page_takes_the_same_queries_for_one_day_or_ninety(alice, frozen_now):
    log_day(alice, TODAY)
    client = client_for(alice)
    with CaptureQueriesContext(connection) as one_day:
        assert client.get("/trends/?days=90").status_code == 200

    for offset in range(1, 90):
        log_day(alice, TODAY - timedelta(days=offset))
        PegAssessmentFactory(patient=alice, recorded_at=local(TODAY - timedelta(days=offset), 9))
    with CaptureQueriesContext(connection) as ninety_days:
        html = client.get("/trends/?days=90").content.decode()

    assert "<summary>Pain: 90 days with entries</summary>" in html
    # Session, user and profile, then one read per kind of entry.
    assert len(one_day) == len(ninety_days) == 7


def test_a_clinician_is_sent_to_their_own_side(bob):
    response = client_for(bob).get("/trends/?days=7")

    assert response.status_code == 302
    assert response["Location"] == "/clinic/"


def test_posting_to_trends_is_not_allowed(alice):
    assert client_for(alice).post("/trends/").status_code == 405
