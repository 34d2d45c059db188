"""The patient's sessions on /me/, the iCalendar file and the private subscription address."""

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from scheduling.calendar import course_calendar
from scheduling.models import Course
from scheduling.services import course_book, session_cancel, session_reschedule
from tests.scheduling.helpers import MONDAY, NY

pytestmark = pytest.mark.usefixtures("frozen", "chairs")


@pytest.fixture
def course(cleared_patient):
    return course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=2,
                       start_time=dt.time(10))


@pytest.fixture
def other_course(cleared_other_patient):
    return course_book(patient=cleared_other_patient, first_day=MONDAY, sessions_per_week=2, weeks=1,
                       start_time=dt.time(13))


def events(content: bytes):
    return [c for c in Calendar.from_ical(content).walk("VEVENT")]


def test_the_calendar_has_one_stable_event_per_session_with_the_rfc_5545_properties(course):
    content = course_calendar(courses=[course])
    cal = Calendar.from_ical(content)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    timezones = cal.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["America/New_York"]
    found = events(content)
    sessions = list(course.sessions.all())
    assert [str(e["UID"]) for e in found] == [str(s.uid) for s in sessions]
    for event, session in zip(found, sessions, strict=True):
        assert event["DTSTAMP"].dt.tzinfo is not None
        start = event["DTSTART"]
        assert start.params["TZID"] == "America/New_York"
        assert start.dt == session.start and start.dt.astimezone(NY).time() == dt.time(10)
        assert event["DTEND"].dt == session.occupied_until
        assert int(event["SEQUENCE"]) == 0
        assert str(event["STATUS"]) == "CONFIRMED"
    assert b"TZID=America/New_York:20261207T100000" in content


def test_a_change_raises_the_sequence_and_a_cancellation_says_cancelled(course):
    first, second = list(course.sessions.all())[:2]
    session_cancel(session=first, reason="Unwell")
    session_reschedule(session=second, day=second.start.astimezone(NY).date(), start_time=dt.time(13))
    by_uid = {str(e["UID"]): e for e in events(course_calendar(courses=[course]))}
    assert str(by_uid[str(first.uid)]["STATUS"]) == "CANCELLED" and int(by_uid[str(first.uid)]["SEQUENCE"]) == 1
    moved = by_uid[str(second.uid)]
    assert int(moved["SEQUENCE"]) == 1 and moved["DTSTART"].dt.astimezone(NY).time() == dt.time(13)


def test_the_patient_downloads_their_calendar(patient_client, course):
    response = patient_client.get(reverse("scheduling:my-calendar"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert len(events(response.content)) == 6
    one = patient_client.get(reverse("scheduling:course-ics", args=[course.pk]))
    assert len(events(one.content)) == 6


def test_another_patients_calendar_is_not_found(patient_client, course, other_course):
    from scheduling.services import calendar_address_new

    assert patient_client.get(reverse("scheduling:course-ics", args=[other_course.pk])).status_code == 404
    calendar_address_new(course=other_course)
    other_course.refresh_from_db()
    token = other_course.calendar_token
    response = patient_client.post(reverse("scheduling:course-subscription-stop", args=[other_course.pk]))
    assert response.status_code == 404
    other_course.refresh_from_db()
    assert other_course.calendar_token == token


def test_the_subscription_address_works_until_a_new_one_replaces_it(patient_client, client, course):
    from scheduling.models import CalendarSubscription

    response = patient_client.post(reverse("scheduling:subscription-new"))
    assert response.status_code == 200
    address = response.context["address"]
    path = address.split("testserver", 1)[1]
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    stored = CalendarSubscription.objects.get(patient=course.patient).token_hash
    assert stored and token not in stored  # only a hash is stored

    client.logout()
    feed = client.get(path)
    assert feed.status_code == 200 and len(events(feed.content)) == 6

    patient_client.force_login(course.patient.user)
    newer = patient_client.post(reverse("scheduling:subscription-new")).context["address"]
    client.logout()
    assert client.get(path).status_code == 404
    new_path = newer.split("testserver", 1)[1]
    assert client.get(new_path).status_code == 200

    patient_client.force_login(course.patient.user)
    patient_client.post(reverse("scheduling:subscription-stop"))
    client.logout()
    assert client.get(new_path).status_code == 404


def test_a_made_up_token_is_not_found(client, course):
    assert client.get(reverse("scheduling:subscription-feed", args=["made-up"])).status_code == 404
    assert not Course.objects.with_calendar_token("").exists()


def test_my_portal_lists_upcoming_sessions_with_the_preparation_reminders(
    patient_client, course, django_assert_max_num_queries
):
    with django_assert_max_num_queries(25):
        response = patient_client.get(reverse("me"))
    html = response.content.decode()
    assert html.count('data-status="booked"') == 6
    assert "Monday, December 7, 2026, 10:00 AM" in html
    assert "not to drive" in html and "12 hours" in html and "Empty your bladder" in html
    assert reverse("scheduling:my-calendar") in html


def test_my_portal_shows_none_of_another_patients_sessions(other_patient_client, course):
    html = other_patient_client.get(reverse("me")).content.decode()
    assert "December 7, 2026" not in html


def test_the_stored_token_is_the_one_hash_the_lookup_uses(course):
    import hashlib

    from scheduling.services import calendar_address_new

    token = calendar_address_new(course=course)
    course.refresh_from_db()
    # Written once, on the model: what is stored is what the feed looks up, and it is SHA-256.
    assert course.calendar_token == Course.calendar_token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert Course.objects.with_calendar_token(token).get() == course
    assert not Course.objects.with_calendar_token(course.calendar_token).exists()  # the hash is no key
