"""Cancelling, rescheduling and marking sessions: audited, sequenced, rule-checked."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.models import AuditEvent
from scheduling.models import Chair, Session, SessionStatus
from scheduling.services import course_book, course_cancel_rest, session_cancel, session_mark, session_reschedule
from tests.scheduling.helpers import MONDAY, NY

pytestmark = pytest.mark.usefixtures("frozen", "chairs")


@pytest.fixture
def course(cleared_patient):
    return course_book(
        patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=6, start_time=dt.time(10)
    )


def review_points(course):
    return [n for n, s in enumerate(course.sessions.exclude(status="cancelled"), start=1) if s.review_due]


def test_cancelling_a_session_frees_it_raises_its_sequence_and_is_audited(course, front_desk):
    session = course.sessions.first()
    session_cancel(session=session, by=front_desk, reason="Patient has a fever")
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.sequence == 1
    assert session.status_reason == "Patient has a fever"
    event = AuditEvent.objects.get(action="session.cancel")
    assert event.actor == front_desk and event.patient == course.patient and event.detail["reason"]


def test_cancelling_a_cancelled_session_does_nothing(course, front_desk):
    session = course.sessions.first()
    session_cancel(session=session, by=front_desk)
    session_cancel(session=session, by=front_desk)
    session.refresh_from_db()
    assert session.sequence == 1
    assert AuditEvent.objects.filter(action="session.cancel").count() == 1


def test_review_markers_move_when_a_session_is_cancelled(course):
    sessions = list(course.sessions.all())
    assert [n for n, s in enumerate(sessions, 1) if s.review_due] == [5, 10, 15]
    session_cancel(session=sessions[2])
    assert review_points(course) == [5, 10, 15]
    flagged = [s.pk for s in course.sessions.filter(review_due=True)]
    assert flagged == [sessions[5].pk, sessions[10].pk, sessions[15].pk]
    assert not Session.objects.get(pk=sessions[4].pk).review_due
    assert not Session.objects.get(pk=sessions[2].pk).review_due


def test_a_cancelled_slot_can_be_booked_by_someone_else(course, cleared_other_patient):
    Chair.objects.exclude(name="Chair 1").update(active=False)
    for session in course.sessions.filter(start__lt=MONDAY_PLUS(7)):
        session_cancel(session=session)
    other = course_book(
        patient=cleared_other_patient, first_day=MONDAY, sessions_per_week=3, weeks=1, start_time=dt.time(10)
    )
    assert {s.chair.name for s in other.sessions.all()} == {"Chair 1"}


def MONDAY_PLUS(days):  # noqa: N802 - reads as a date
    return dt.datetime.combine(MONDAY + dt.timedelta(days=days), dt.time(0), tzinfo=NY)


def test_cancelling_the_rest_of_a_course_keeps_what_already_happened(course, front_desk):
    with time_machine.travel(MONDAY_PLUS(9), tick=False):  # Wednesday of week 2, 00:00
        count = course_cancel_rest(course=course, by=front_desk, reason="Patient moving away")
    assert count == 14
    assert course.sessions.exclude(status="cancelled").count() == 4
    assert set(course.sessions.filter(status="cancelled").values_list("sequence", flat=True)) == {1}
    assert AuditEvent.objects.filter(action="course.cancel_rest", detail__cancelled=14).exists()
    assert review_points(course) == []


def test_rescheduling_moves_the_session_within_its_week_and_raises_the_sequence(course, front_desk):
    session = course.sessions.all()[1]  # Wednesday of week 1
    thursday = MONDAY + dt.timedelta(days=3)
    with pytest.raises(ValidationError, match="clear day"):
        session_reschedule(session=session, day=thursday, start_time=dt.time(13), by=front_desk)
    session_reschedule(session=session, day=MONDAY + dt.timedelta(days=2), start_time=dt.time(13), by=front_desk,
                       reason="Patient asked for the afternoon")
    session.refresh_from_db()
    assert session.start.astimezone(NY) == dt.datetime(2026, 12, 9, 13, tzinfo=NY)
    assert session.occupied_until.astimezone(NY).time() == dt.time(16)
    assert session.sequence == 1
    event = AuditEvent.objects.get(action="session.reschedule")
    assert event.detail["from"]["start"] != event.detail["to"]["start"]


def test_rescheduling_keeps_each_week_whole(course):
    session = course.sessions.all()[1]
    with pytest.raises(ValidationError) as excinfo:
        session_reschedule(session=session, day=MONDAY + dt.timedelta(days=7), start_time=dt.time(10))
    assert "week 1" in excinfo.value.message_dict["day"][0]


def test_rescheduling_refuses_a_taken_chair_and_changes_nothing(course, cleared_other_patient):
    other = course_book(
        patient=cleared_other_patient, first_day=MONDAY, sessions_per_week=3, weeks=1, start_time=dt.time(13)
    )
    taken_chair = other.sessions.first().chair
    session = course.sessions.all()[1]
    before = (session.start, session.chair_id, session.sequence)
    # The refusal names when the chair is taken by the other booking (13:00 plus infusion and
    # recovery), not the 12:00 window that was asked for.
    with pytest.raises(ValidationError, match=f"{taken_chair.name} is taken from 13:00 to 16:00 by another booking"):
        session_reschedule(session=session, day=session.start.astimezone(NY).date(), start_time=dt.time(12),
                           chair=taken_chair)
    session.refresh_from_db()
    assert (session.start, session.chair_id, session.sequence) == before


def test_rescheduling_refuses_recovery_past_closing(course):
    session = course.sessions.all()[1]
    with pytest.raises(ValidationError, match="after the clinic closes"):
        session_reschedule(session=session, day=MONDAY + dt.timedelta(days=2), start_time=dt.time(16))


def test_marking_a_session_completed_or_no_show(course, front_desk):
    session = course.sessions.first()
    with pytest.raises(ValidationError, match="once it has started"):
        session_mark(session=session, status=SessionStatus.COMPLETED, by=front_desk)
    with time_machine.travel(MONDAY_PLUS(0) + dt.timedelta(hours=14), tick=False):
        session_mark(session=session, status=SessionStatus.COMPLETED, by=front_desk)
        session.refresh_from_db()
        assert session.status == SessionStatus.COMPLETED
        with pytest.raises(ValidationError):
            session_cancel(session=session)
        session_mark(session=session, status=SessionStatus.NO_SHOW, by=front_desk, reason="Did not come")
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW
    assert AuditEvent.objects.filter(action__startswith="session.mark_").count() == 2


def test_a_cancelled_session_cannot_be_marked(course):
    session = course.sessions.first()
    session_cancel(session=session)
    with time_machine.travel(MONDAY_PLUS(1), tick=False), pytest.raises(ValidationError):
        session_mark(session=session, status=SessionStatus.COMPLETED)


def test_cancelling_a_session_stops_its_pending_reminders(course):
    from scheduling.models import Notification

    session = course.sessions.first()
    assert Notification.objects.filter(session=session, kind="reminder", status="pending").exists()
    session_cancel(session=session, reason="Unwell")
    assert not Notification.objects.filter(session=session, kind="reminder", status="pending").exists()


def test_review_notices_follow_the_review_marker_when_a_session_is_cancelled(course):
    from scheduling.models import Notification

    sessions = list(course.sessions.all())
    session_cancel(session=sessions[0])
    pending = Notification.objects.filter(kind="review_due", status="pending")
    assert set(pending.values_list("session_id", flat=True)) == {sessions[5].pk, sessions[10].pk, sessions[15].pk}


@pytest.mark.parametrize(
    ("status", "changeable"),
    [(SessionStatus.BOOKED, True), (SessionStatus.COMPLETED, False), (SessionStatus.NO_SHOW, False),
     (SessionStatus.CANCELLED, False)],
)
def test_only_a_booked_session_can_still_change(course, status, changeable):
    session = course.sessions.first()
    Session.objects.filter(pk=session.pk).update(status=status)
    session.refresh_from_db()
    assert session.is_changeable is changeable
    assert Session.objects.changeable().filter(pk=session.pk).exists() is changeable


def test_a_session_that_can_no_longer_change_is_refused_by_the_services_and_the_page(
    course, front_desk, front_desk_client
):
    session = course.sessions.first()
    with time_machine.travel(session.end, tick=False):
        session_mark(session=session, status=SessionStatus.COMPLETED, by=front_desk)
    assert not session.is_changeable
    with pytest.raises(ValidationError, match="marked completed"):
        session_cancel(session=session)
    with pytest.raises(ValidationError, match="Only a booked session can be moved"):
        session_reschedule(session=session, day=MONDAY, start_time=dt.time(13))
    html = front_desk_client.get(reverse("scheduling:session", args=[session.pk])).content.decode()
    assert "Move this session" not in html and "Cancel this session" not in html
    assert "Mark what happened" in html
    booked = course.sessions.all()[1]
    html = front_desk_client.get(reverse("scheduling:session", args=[booked.pk])).content.decode()
    assert "Move this session" in html and "Cancel this session" in html


def test_the_planner_places_a_move_without_writing_anything(course):
    from scheduling.planning import session_move_plan

    session = Session.objects.select_related("course", "chair").get(pk=course.sessions.all()[1].pk)
    wednesday = MONDAY + dt.timedelta(days=2)
    move = session_move_plan(session=session, day=wednesday, start_time=dt.time(13), now=dt.datetime.now(NY))
    assert move.in_week and move.week == 1 and not move.session.problems
    assert move.session.start == dt.datetime(2026, 12, 9, 13, tzinfo=NY) and move.session.chair is not None
    outside = session_move_plan(session=session, day=wednesday + dt.timedelta(days=7), start_time=dt.time(13),
                                now=dt.datetime.now(NY))
    assert not outside.in_week and (outside.week_first, outside.week_last) == (MONDAY, MONDAY + dt.timedelta(days=6))
    session.refresh_from_db()
    assert session.start.astimezone(NY).date() == wednesday and session.start.astimezone(NY).hour == 10
