"""The patient's one private calendar address (every course, past and future), polled cheaply
(HEAD, ETag, Last-Modified, 304, refresh hints), and every calendar file read by two
independent parsers: icalendar (which writes them) and vobject."""

import datetime as dt

import pytest
import vobject
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from scheduling.calendar import course_calendar
from scheduling.models import Notification
from scheduling.services import (
    calendar_address_new,
    calendar_subscription_new,
    course_book,
    notifications_dispatch,
    session_cancel,
    session_reschedule,
)
from tests.scheduling.helpers import MONDAY, NOW, NY

pytestmark = pytest.mark.usefixtures("frozen", "chairs", "message_name")
TITLE = "Appointment at Riverside Clinic"


@pytest.fixture
def message_name(settings):
    settings.CLINIC_MESSAGE_NAME = "Riverside Clinic"


@pytest.fixture
def course(cleared_patient):
    return course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=2,
                       start_time=dt.time(10))


def feed_path(patient) -> str:
    return reverse("scheduling:subscription-feed", args=[calendar_subscription_new(patient=patient)])


def both(content: bytes) -> list[dict]:
    """Each event as icalendar and as vobject read it, after checking that they agree."""
    ical_events = Calendar.from_ical(content).walk("VEVENT")
    vcal = vobject.readOne(content.decode())
    v_events = vcal.vevent_list
    found = []
    for ours, theirs in zip(ical_events, v_events, strict=True):
        event = {
            "uid": str(ours["UID"]), "summary": str(ours["SUMMARY"]), "status": str(ours["STATUS"]),
            "sequence": int(ours["SEQUENCE"]), "start": ours["DTSTART"].dt, "end": ours["DTEND"].dt,
        }
        assert event == {
            "uid": theirs.uid.value, "summary": theirs.summary.value, "status": theirs.status.value,
            "sequence": int(theirs.sequence.value), "start": theirs.dtstart.value, "end": theirs.dtend.value,
        }
        assert event["start"].tzinfo is not None
        found.append(event)
    return found


def test_one_address_covers_every_course_past_and_future(cleared_patient, course, client, frozen):
    path = feed_path(cleared_patient)
    frozen.move_to(NOW + dt.timedelta(days=60))
    later = course_book(patient=cleared_patient, first_day=MONDAY + dt.timedelta(days=63), sessions_per_week=2,
                        weeks=2, start_time=dt.time(11))
    found = both(client.get(path).content)
    expected = [str(s.uid) for s in course.sessions.all()] + [str(s.uid) for s in later.sessions.all()]
    assert [event["uid"] for event in found] == expected
    assert len(found) == 10


def test_a_new_address_replaces_the_old_one(cleared_patient, course, client):
    first = feed_path(cleared_patient)
    second = feed_path(cleared_patient)
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200


def test_an_older_per_course_address_keeps_working_until_stopped(cleared_patient, course, client, patient_client):
    path = reverse("scheduling:subscription-feed", args=[calendar_address_new(course=course)])
    assert len(both(client.get(path).content)) == 6
    assert "Stop the older address" in patient_client.get(reverse("me")).content.decode()
    patient_client.post(reverse("scheduling:course-subscription-stop", args=[course.pk]))
    assert client.get(path).status_code == 404


def test_head_is_answered_with_the_headers_of_a_get_and_no_body(cleared_patient, course, client):
    path = feed_path(cleared_patient)
    got, head = client.get(path), client.head(path)
    assert head.status_code == 200 and head.content == b""
    for header in ("ETag", "Last-Modified", "Content-Type"):
        assert head[header] == got[header]


def test_an_unchanged_feed_answers_304_and_a_change_gives_a_new_etag(cleared_patient, course, client, frozen):
    path = feed_path(cleared_patient)
    first = client.get(path)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first.status_code == 200 and etag.startswith('"') and "no-cache" in first["Cache-Control"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.head(path, HTTP_IF_NONE_MATCH=etag).status_code == 304

    frozen.shift(dt.timedelta(minutes=5))
    session_cancel(session=course.sessions.first(), reason="Unwell")
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 200


def test_the_same_sessions_always_give_the_same_file(cleared_patient, course, client, frozen):
    path = feed_path(cleared_patient)
    before = client.get(path).content
    frozen.shift(dt.timedelta(hours=3))
    assert client.get(path).content == before


def test_the_files_carry_refresh_hints(cleared_patient, course, client):
    content = client.get(feed_path(cleared_patient)).content
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in content and b"X-PUBLISHED-TTL:PT1H\r\n" in content
    vcal = vobject.readOne(content.decode())
    assert vcal.contents["refresh-interval"][0].value == "PT1H"
    assert str(Calendar.from_ical(content)["X-PUBLISHED-TTL"]) == "PT1H"


def test_titles_name_no_treatment_patient_or_health_matter(cleared_patient, course, client):
    session_cancel(session=course.sessions.first(), reason="Depression worse")
    content = client.get(feed_path(cleared_patient)).content
    cal = Calendar.from_ical(content)
    titles = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert titles == [f"Cancelled: {TITLE}"] + [TITLE] * 5
    shown = titles + [str(cal["X-WR-CALNAME"])] + [str(e["LOCATION"]) for e in cal.walk("VEVENT")] + [
        str(a["DESCRIPTION"]) for a in cal.walk("VALARM")]
    for text in shown:
        for word in ("ketamine", "infusion", "treatment", "depress", "alice", "archer", "unwell"):
            assert word not in text.lower(), text


def test_a_cancelled_and_a_moved_session_round_trip_through_both_parsers(cleared_patient, course, client):
    first, second = list(course.sessions.all())[:2]
    session_cancel(session=first, reason="Unwell")
    session_reschedule(session=second, day=second.start.astimezone(NY).date(), start_time=dt.time(13))
    second.refresh_from_db()
    content = client.get(feed_path(cleared_patient)).content
    by_uid = {e["uid"]: e for e in both(content)}
    cancelled, moved = by_uid[str(first.uid)], by_uid[str(second.uid)]
    assert (cancelled["status"], cancelled["sequence"]) == ("CANCELLED", 1)
    assert cancelled["summary"].startswith("Cancelled")
    assert (moved["status"], moved["sequence"], moved["summary"]) == ("CONFIRMED", 1, TITLE)
    assert moved["start"] == second.start and moved["start"].astimezone(NY).time() == dt.time(13)
    assert moved["end"] == second.occupied_until
    # Written back out by each library and read by the other, nothing changes.
    from_vobject = vobject.readOne(content.decode()).serialize().encode()
    from_icalendar = Calendar.from_ical(content).to_ical()
    assert both(from_vobject) == both(from_icalendar) == both(content)


def test_every_calendar_file_reads_the_same_in_both_parsers(cleared_patient, course, patient_client):
    files = [
        patient_client.get(reverse("scheduling:my-calendar")).content,
        patient_client.get(reverse("scheduling:course-ics", args=[course.pk])).content,
        patient_client.get(feed_path(cleared_patient)).content,
        course_calendar(courses=[course]),
    ]
    uids = [str(s.uid) for s in course.sessions.all()]
    for content in files:
        assert [event["uid"] for event in both(content)] == uids


def test_the_booking_email_attaches_the_calendar_with_method_publish(course):
    sent = notifications_dispatch(now=NOW)
    assert sent >= 1
    (message,) = [m for m in mail.outbox if m.attachments]
    (part,) = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "PUBLISH" and part.get_filename() == "sessions.ics"
    assert "attachment" in part["Content-Disposition"]
    events = both(part.get_payload(decode=True))
    assert [e["uid"] for e in events] == [str(s.uid) for s in course.sessions.all()]
    assert Notification.objects.filter(kind=Notification.Kind.BOOKING_CONFIRMATION, status="sent").exists()
