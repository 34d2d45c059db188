"""Closed days and holidays, kept by front desk on a staff page (issue 16): the planner skips
them, the demo closes the clinic on the US federal holidays."""

import datetime as dt
import io

import pytest
import time_machine

from portal.models import AuditEvent, ClinicSettings
from scheduling.holidays import us_federal_holidays
from scheduling.models import ClosedDay
from scheduling.services import course_book
from tests.scheduling.helpers import MONDAY, NOW

pytestmark = pytest.mark.django_db
URL = "/staff/closed-days/"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_front_desk_closes_a_day_and_it_is_audited(front_desk_client, front_desk, chairs):
    response = front_desk_client.post(URL, {"date": "2026-12-24", "reason": "Christmas Eve"}, follow=True)
    assert response.status_code == 200 and "The clinic is closed on Thursday, December 24, 2026" in response.content.decode()
    closed = ClosedDay.objects.get(date=dt.date(2026, 12, 24))
    assert closed.reason == "Christmas Eve" and closed.clinic == ClinicSettings.load()
    event = AuditEvent.objects.get(action="closed_day.add")
    assert event.actor == front_desk and event.detail["date"] == "2026-12-24"


def test_a_closed_day_is_skipped_by_the_planner(cleared_patient, chairs):
    ClosedDay.objects.create(clinic=ClinicSettings.load(), date=MONDAY + dt.timedelta(days=2), reason="Training")
    course = course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))
    days = [s.start.date() for s in course.sessions.order_by("start")]
    assert days == [MONDAY, MONDAY + dt.timedelta(days=3)]  # Wednesday closed: Thursday


def test_a_day_with_sessions_is_not_closed_and_the_page_says_why(front_desk_client, cleared_patient, chairs):
    course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=1, start_time=dt.time(10))
    response = front_desk_client.post(URL, {"date": MONDAY.isoformat(), "reason": "Repairs"})
    assert response.status_code == 400
    assert "1 session is booked on Monday, December 7, 2026" in response.content.decode()
    assert not ClosedDay.objects.filter(date=MONDAY).exists()


@pytest.mark.parametrize(("data", "words"), [
    ({"date": "2026-11-01"}, "This day has passed"),
    ({"date": "not a date"}, "Enter a valid date"),
    ({"date": ""}, "This field is required"),
])
def test_bad_input_keeps_the_form_and_changes_nothing(front_desk_client, data, words):
    response = front_desk_client.post(URL, data)
    assert response.status_code == 400 and words in response.content.decode()
    assert not ClosedDay.objects.exists()


def test_a_day_is_opened_again(front_desk_client):
    closed = ClosedDay.objects.create(clinic=ClinicSettings.load(), date=dt.date(2026, 12, 31), reason="")
    response = front_desk_client.post(URL, {"remove": closed.pk})
    assert response.status_code == 302 and not ClosedDay.objects.exists()
    assert AuditEvent.objects.filter(action="closed_day.remove").exists()
    assert front_desk_client.post(URL, {"remove": closed.pk}).status_code == 404
    assert front_desk_client.post(URL, {"remove": "x"}).status_code == 404


def test_patients_cannot_keep_closed_days(patient_client):
    assert patient_client.get(URL).status_code == 403
    assert patient_client.post(URL, {"date": "2026-12-24"}).status_code == 403
    assert not ClosedDay.objects.exists()


def test_the_us_federal_holidays_fall_on_their_observed_days():
    days = dict((name, day) for day, name in us_federal_holidays(2026))
    assert days["Independence Day"] == dt.date(2026, 7, 3)  # a Saturday: observed on the Friday
    assert days["Thanksgiving Day"] == dt.date(2026, 11, 26)
    assert days["Memorial Day"] == dt.date(2026, 5, 25)
    assert days["Christmas Day"] == dt.date(2026, 12, 25)
    assert dict((n, d) for d, n in us_federal_holidays(2027))["Birthday of Martin Luther King, Jr."] == dt.date(2027, 1, 18)
    assert len(us_federal_holidays(2027)) == 11


def test_the_demo_closes_the_holidays_and_its_course_skips_them(db):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    closed = set(ClosedDay.objects.values_list("date", flat=True))
    assert {dt.date(2026, 12, 25), dt.date(2027, 1, 1)} <= closed
    from scheduling.models import Session

    booked = {s.start.astimezone(ClinicSettings.load().tz).date() for s in Session.objects.all()}
    assert booked and not booked & closed, out.getvalue()
