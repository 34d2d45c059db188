"""Messages about the whole course (the booking confirmation, a cancellation notice) belong
to the course, not to a session: so no message of a cancelled session is ever sent, and
cancelling a session never withdraws the course's own messages."""

import datetime as dt

import pytest
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from portal.models import AuditEvent
from scheduling.models import Notification, SessionStatus
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_cancel, notifications_plan
from scheduling.notifications.services import notifications_for_patient
from scheduling.services import course_book, course_cancel_rest, session_cancel
from tests.factories import NotificationFactory
from tests.scheduling.helpers import MONDAY, NOW, clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status


@pytest.fixture
def course(cleared_patient, chairs, frozen):
    return course_book(
        patient=cleared_patient, first_day=MONDAY, sessions_per_week=2, weeks=2, start_time=dt.time(10)
    )


def attachments(message) -> dict[str, str]:
    return {
        name: content.decode() if isinstance(content, bytes) else content for name, content, _type in message.attachments
    }


def never_sent_after(moment, sessions):
    return not Notification.objects.filter(session__in=sessions, sent_at__gte=moment).exists()


def test_the_booking_confirmation_is_a_course_row_with_no_session(course):
    (confirmation,) = Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION)
    assert confirmation.session is None
    assert confirmation.course == course
    assert confirmation.patient == course.patient
    assert confirmation.status == Status.PENDING


def test_the_confirmation_still_goes_out_with_its_calendar_when_the_first_session_was_cancelled(course):
    first, second, *_ = course.sessions.all()
    session_cancel(session=first)

    notifications_dispatch(now=NOW + dt.timedelta(minutes=1))

    (confirmation,) = [m for m in mail.outbox if "booked" in m.subject]
    # It names the first session that still takes place, and lists only those.
    assert "Your first session is at 10:00 AM on Wednesday, December 9" in confirmation.body
    assert "Monday, December 7" not in confirmation.body
    calendar = attachments(confirmation)["sessions.ics"]
    assert calendar.count("BEGIN:VEVENT") == 4
    assert calendar.count("STATUS:CANCELLED") == 1  # the cancelled session leaves the patient's calendar
    assert Notification.objects.get(kind=Kind.BOOKING_CONFIRMATION).status == Status.SENT


def test_a_cancellation_notice_goes_out_and_names_the_cancelled_session(course):
    notifications_dispatch(now=NOW)  # the confirmation
    mail.outbox.clear()
    second = list(course.sessions.all())[1]

    session_cancel(session=second)
    notice = Notification.objects.get(kind=Kind.CANCELLED)
    assert (notice.session, notice.course, notice.session_ids) == (None, course, [second.pk])

    assert notifications_dispatch(now=NOW + dt.timedelta(minutes=1)) == 1
    (message,) = mail.outbox
    assert "Your appointment at 10:00 AM on Wednesday, December 9 is cancelled" in message.subject
    assert "10:00 AM on Wednesday, December 9 is cancelled" in message.body
    assert "10:00 AM on Monday, December 7" in message.body  # still booked: listed under "Your sessions"
    assert "STATUS:CANCELLED" in attachments(message)["sessions.ics"]
    notice.refresh_from_db()
    assert notice.status == Status.SENT


def test_a_cancellation_notice_by_text_message_names_the_cancelled_session(course, sms_outbox):
    patient = course.patient
    patient.email, patient.phone = "", "+12125550123"
    patient.save()
    notifications_dispatch(now=NOW)
    sms_outbox.clear()
    second = list(course.sessions.all())[1]

    session_cancel(session=second)
    notifications_dispatch(now=NOW + dt.timedelta(minutes=1))

    (text,) = sms_outbox
    assert "10:00 AM on Wednesday, December 9 is cancelled" in text.body


def test_two_cancellations_in_one_course_each_send_their_own_notice(course):
    notifications_dispatch(now=NOW)
    mail.outbox.clear()
    sessions = list(course.sessions.all())

    session_cancel(session=sessions[1])
    session_cancel(session=sessions[3])

    notices = Notification.objects.filter(kind=Kind.CANCELLED).order_by("pk")
    assert [(n.session_sequence, n.session_ids) for n in notices] == [(0, [sessions[1].pk]), (1, [sessions[3].pk])]
    assert notifications_dispatch(now=NOW + dt.timedelta(minutes=1)) == 2
    assert "December 9" in mail.outbox[0].subject and "December 16" in mail.outbox[1].subject


def test_cancelling_the_rest_sends_one_notice_listing_every_cancelled_session(course):
    notifications_dispatch(now=NOW)
    mail.outbox.clear()

    assert course_cancel_rest(course=course) == 4

    (notice,) = Notification.objects.filter(kind=Kind.CANCELLED)
    assert notice.session is None and len(notice.session_ids) == 4
    assert notifications_dispatch(now=NOW + dt.timedelta(minutes=1)) == 1
    (message,) = mail.outbox
    assert "4 of your appointments are cancelled" in message.subject
    for day in ("Monday, December 7", "Wednesday, December 9", "Monday, December 14", "Wednesday, December 16"):
        assert day in message.body


def test_no_row_of_a_cancelled_session_is_ever_sent_whatever_its_kind(course):
    first, *_ = course.sessions.all()
    # Even rows written the old way (a course message hanging on a session) stay unsent.
    for kind in (Kind.BOOKING_CONFIRMATION, Kind.CANCELLED, Kind.RESCHEDULED):
        NotificationFactory(session=first, kind=kind, send_at=NOW, session_sequence=99)
    on_first = list(first.notifications.values_list("pk", flat=True))
    assert len(on_first) >= 5

    session_cancel(session=first)
    after = NOW + dt.timedelta(seconds=1)
    for moment in (after, first.start - dt.timedelta(hours=24), first.end, first.end + dt.timedelta(days=2)):
        notifications_dispatch(now=moment)

    assert never_sent_after(after, [first])
    statuses = set(Notification.objects.filter(pk__in=on_first).values_list("status", flat=True))
    assert statuses == {Status.CANCELLED}
    # The course's own messages went out: the confirmation and the cancellation notice.
    assert set(course.notifications.values_list("kind", "status")) == {
        (Kind.BOOKING_CONFIRMATION, Status.SENT),
        (Kind.CANCELLED, Status.SENT),
    }


def test_a_row_cancelled_behind_the_outbox_is_not_sent_even_if_it_was_about_the_course(patient, chairs, frozen):
    session = make_session(patient, clinic_time(2026, 12, 7, 10))
    NotificationFactory(session=session, kind=Kind.BOOKING_CONFIRMATION, send_at=NOW)
    session.status = SessionStatus.CANCELLED
    session.save()  # nobody told the outbox

    assert notifications_dispatch(now=NOW) == 0
    assert session.notifications.get().status == Status.CANCELLED
    assert mail.outbox == []


def test_a_confirmation_whose_sessions_are_all_cancelled_is_withdrawn_not_sent(course):
    course_cancel_rest(course=course)
    notifications_dispatch(now=NOW + dt.timedelta(minutes=1))
    confirmation = course.notifications.get(kind=Kind.BOOKING_CONFIRMATION)
    assert confirmation.status == Status.CANCELLED
    assert [m.subject for m in mail.outbox if "booked" in m.subject] == []


def test_a_row_needs_a_session_or_a_course(patient, chairs):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(kind=Kind.REMINDER, send_at=NOW)


def test_a_course_message_is_written_once_per_number(course):
    confirmation = course.notifications.get(kind=Kind.BOOKING_CONFIRMATION)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            course=course, kind=Kind.BOOKING_CONFIRMATION, channel=confirmation.channel, send_at=NOW
        )


def test_the_patient_and_staff_lookups_find_course_messages(course, other_patient, front_desk):
    ids = set(Notification.objects.filter(course=course).values_list("pk", flat=True))
    assert ids
    mine = set(Notification.objects.for_user(course.patient.user).values_list("pk", flat=True))
    assert ids <= mine
    assert not ids & set(Notification.objects.for_user(other_patient.user).values_list("pk", flat=True))
    assert ids <= set(notifications_for_patient(course.patient).values_list("pk", flat=True))
    assert not notifications_for_patient(other_patient).exists()


def test_the_staff_log_shows_course_messages_and_resends_a_failed_one(front_desk_client, course):
    confirmation = course.notifications.get(kind=Kind.BOOKING_CONFIRMATION)
    Notification.objects.filter(pk=confirmation.pk).update(status=Status.FAILED, attempts=5, last_error="451")
    log = reverse("notifications:patient-log", args=[course.patient.pk])

    html = front_desk_client.get(log).content.decode()
    assert f'data-notification="{confirmation.pk}"' in html
    assert "Course from Mon 7 Dec 2026" in html
    attention = front_desk_client.get(reverse("notifications:attention")).content.decode()
    assert f'data-notification="{confirmation.pk}"' in attention and "Alice Archer" in attention

    response = front_desk_client.post(reverse("notifications:resend", args=[confirmation.pk]), follow=True)
    assert response.redirect_chain[-1][0] == log
    confirmation.refresh_from_db()
    assert confirmation.status == Status.PENDING
    assert AuditEvent.objects.filter(action="notification.resend", patient=course.patient).exists()


def test_a_course_message_of_another_patient_cannot_be_resent_by_that_patient(other_patient_client, course):
    confirmation = course.notifications.get(kind=Kind.BOOKING_CONFIRMATION)
    Notification.objects.filter(pk=confirmation.pk).update(status=Status.FAILED)
    response = other_patient_client.post(reverse("notifications:resend", args=[confirmation.pk]))
    assert response.status_code in (403, 404)
    confirmation.refresh_from_db()
    assert confirmation.status == Status.FAILED


def test_dispatching_course_messages_takes_a_fixed_number_of_queries(patient, chairs, frozen, django_assert_max_num_queries):
    def book(n, hour):
        sessions = []
        for k in range(n):
            first = make_session(patient, clinic_time(2026, 12, 7, hour) + dt.timedelta(days=20 * k))
            second = make_session(patient, first.start + dt.timedelta(days=2), course=first.course)
            sessions += [first, second]
        notifications_plan(sessions=sessions)
        for session in sessions[1::2]:
            session.status = SessionStatus.CANCELLED
            session.save()
        notifications_cancel(sessions=sessions[1::2])
        Notification.objects.filter(session__isnull=False).delete()

    book(2, 8)
    with django_assert_max_num_queries(30) as few:
        assert notifications_dispatch(now=NOW) == 4
    Notification.objects.all().delete()
    mail.outbox.clear()
    book(8, 12)
    # Per extra message only its UPDATE; per extra course only its calendar file (two queries).
    with django_assert_max_num_queries(len(few) + 12 + 2 * 6):
        assert notifications_dispatch(now=NOW) == 16


def test_the_migration_moves_old_course_messages_onto_their_course(patient, chairs, frozen):
    from importlib import import_module

    move = import_module("scheduling.migrations.0004_notification_course").move_course_messages
    first = make_session(patient, clinic_time(2026, 12, 7, 10))
    second = make_session(patient, clinic_time(2026, 12, 9, 10), course=first.course)
    old_confirmation = NotificationFactory(session=first, kind=Kind.BOOKING_CONFIRMATION, send_at=NOW)
    old_notices = [
        NotificationFactory(session=s, kind=Kind.CANCELLED, send_at=NOW) for s in (first, second)
    ]
    reminder = NotificationFactory(session=first, kind=Kind.REMINDER, send_at=NOW)

    with connection.schema_editor() as editor:
        move(apps, editor)

    old_confirmation.refresh_from_db()
    assert (old_confirmation.session, old_confirmation.course) == (None, first.course)
    moved = Notification.objects.filter(pk__in=[n.pk for n in old_notices]).order_by("pk")
    assert [(n.session_id, n.course_id, n.session_sequence, n.session_ids) for n in moved] == [
        (None, first.course_id, 0, [first.pk]),
        (None, first.course_id, 1, [second.pk]),
    ]
    reminder.refresh_from_db()
    assert (reminder.session, reminder.course) == (first, None)
