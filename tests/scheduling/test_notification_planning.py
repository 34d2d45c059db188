"""Planning the outbox: which messages a booking, a move and a cancellation write, and when."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from portal.models import ClinicSettings, Patient
from scheduling.models import Notification, SessionStatus
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import NO_CONTACT, notifications_cancel, notifications_plan
from scheduling.notifications.render import no_driving_context
from tests.scheduling.helpers import clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status


@pytest.fixture
def monday_morning():
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False) as traveller:
        yield traveller


def kinds(session):
    return sorted(session.notifications.values_list("kind", "audience", "status"))


def test_a_booking_writes_a_reminder_a_no_driving_notice_and_one_confirmation_per_course(patient, monday_morning):
    first = make_session(patient, clinic_time(2026, 3, 4, 10))
    second = make_session(patient, clinic_time(2026, 3, 6, 10), course=first.course)

    written = notifications_plan(sessions=[second, first])

    assert written == 5
    assert kinds(first) == [("no_driving", "patient", "pending"), ("reminder", "patient", "pending")]
    assert kinds(second) == [("no_driving", "patient", "pending"), ("reminder", "patient", "pending")]
    # The confirmation is about the course, not one of its sessions.
    confirmation = Notification.objects.get(kind=Kind.BOOKING_CONFIRMATION)
    assert (confirmation.session, confirmation.course, confirmation.status) == (None, first.course, "pending")
    reminder = first.notifications.get(kind=Kind.REMINDER)
    assert reminder.send_at == first.start - dt.timedelta(hours=24)
    assert reminder.expires_at == first.start
    assert reminder.channel == "email"


def test_a_session_booked_inside_the_reminder_lead_time_is_reminded_at_the_next_dispatch(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 2, 15))
    notifications_plan(sessions=[session])
    reminder = session.notifications.get(kind=Kind.REMINDER)
    # Already due (24 hours before 3 PM Monday has passed): any later dispatch sends it.
    assert reminder.send_at == clinic_time(2026, 3, 1, 15)

    assert notifications_dispatch() == 2  # the confirmation and the reminder
    # The confirmation first, though the reminder was due earlier (issue 16).
    assert [m.subject.split(": ", 1)[1] for m in mail.outbox] == [
        "Your appointments are booked",
        "Reminder: your appointment at 3:00 PM on Monday, March 2",
    ]


def test_the_no_driving_notice_names_the_clock_time_in_the_clinic_zone(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 3, 10))  # a Tuesday; ends 11:00 AM
    notifications_plan(sessions=[session])
    notice = session.notifications.get(kind=Kind.NO_DRIVING)
    assert notice.send_at == session.end
    assert notice.expires_at == session.end + dt.timedelta(hours=12)

    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION).delete()
    assert notifications_dispatch(now=session.end) == 1  # the reminder has expired; the notice goes
    (message,) = mail.outbox
    assert "until 11:00 PM on Tuesday, March 3 (23:00)" in message.body
    assert "responsible adult takes you home" in message.body
    assert "until 11:00 PM on Tuesday, March 3" in message.alternatives[0][0]
    assert no_driving_context(session=session)["until_text"] == "11:00 PM on Tuesday, March 3"


def test_the_no_driving_window_is_twelve_real_hours_across_the_daylight_saving_change(patient, monday_morning):
    # Clocks go forward at 2:00 AM on Sunday, March 8, 2026: 2:00 PM EST + 12 h = 3:00 AM EDT.
    session = make_session(patient, clinic_time(2026, 3, 7, 13))
    assert no_driving_context(session=session)["until_text"] == "3:00 AM on Sunday, March 8"


def test_the_clinic_sets_the_reminder_lead_and_the_no_driving_hours(patient, monday_morning):
    clinic = ClinicSettings.load()
    clinic.reminder_lead_hours, clinic.no_driving_hours = 48, 24
    clinic.save()
    session = make_session(patient, clinic_time(2026, 3, 5, 10))
    notifications_plan(sessions=[session])
    assert session.notifications.get(kind=Kind.REMINDER).send_at == clinic_time(2026, 3, 3, 10)
    assert session.notifications.get(kind=Kind.NO_DRIVING).expires_at == clinic_time(2026, 3, 6, 11)


def test_a_morning_reminder_is_added_when_the_clinic_turns_it_on(patient, monday_morning):
    clinic = ClinicSettings.load()
    clinic.morning_reminder = True
    clinic.save()
    session = make_session(patient, clinic_time(2026, 3, 5, 13))
    notifications_plan(sessions=[session])
    morning = session.notifications.get(kind=Kind.MORNING_REMINDER)
    assert morning.send_at == clinic_time(2026, 3, 5, 7)
    assert morning.expires_at == session.start


def test_the_review_due_notice_goes_to_the_patient_and_the_clinicians_when_the_session_ends(
    patient, clinician, monday_morning
):
    session = make_session(patient, clinic_time(2026, 3, 4, 10), review_due=True)
    notifications_plan(sessions=[session])
    # One "review_due" row per review point (the patient's), and the clinicians' copy.
    rows = session.notifications.filter(kind__in=[Kind.REVIEW_DUE, Kind.REVIEW_DUE_CLINICIANS])
    assert sorted(rows.values_list("kind", "audience")) == [
        (Kind.REVIEW_DUE, "patient"),
        (Kind.REVIEW_DUE_CLINICIANS, "clinicians"),
    ]
    assert {row.send_at for row in rows} == {session.end}

    notifications_dispatch(now=session.end)
    # The subjects name no health matter (issue 16): the bodies say a review is due.
    recipients = sorted(tuple(m.to) for m in mail.outbox if "review" in m.body.lower())
    assert recipients == sorted([(clinician.email,), (patient.email,)])
    patient_message = next(m for m in mail.outbox if m.to == [patient.email] and "review" in m.body.lower())
    assert "/me/" in patient_message.body


def test_a_patient_with_no_email_and_no_phone_is_recorded_undeliverable_for_staff(monday_morning):
    unreachable = Patient.objects.create(first_name="Una", last_name="Reach", email="", phone="")
    session = make_session(unreachable, clinic_time(2026, 3, 4, 10))
    notifications_plan(sessions=[session])
    assert set(session.notifications.values_list("status", "last_error")) == {(Status.UNDELIVERABLE, NO_CONTACT)}
    assert notifications_dispatch(now=session.end) == 0
    assert mail.outbox == []


def test_a_patient_with_only_a_phone_gets_text_messages(sms_outbox, monday_morning):
    texter = Patient.objects.create(first_name="Tex", last_name="Ter", email="", phone="(555) 010-0199")
    session = make_session(texter, clinic_time(2026, 3, 3, 10))
    notifications_plan(sessions=[session])
    assert set(session.notifications.values_list("channel", flat=True)) == {"sms"}

    notifications_dispatch(now=session.end)
    bodies = [m.body for m in sms_outbox]
    assert any("until 11:00 PM on Tuesday, March 3" in body for body in bodies)
    assert {m.to for m in sms_outbox} == {"(555) 010-0199"}
    assert mail.outbox == []


def test_planning_runs_the_same_number_of_queries_for_one_session_or_fifteen(patient, monday_morning):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ClinicSettings.load()
    one = [make_session(patient, clinic_time(2026, 3, 2, 15))]
    many = [make_session(patient, clinic_time(2026, 3, 2, 15) + dt.timedelta(days=n)) for n in range(1, 16)]
    with CaptureQueriesContext(connection) as single:
        notifications_plan(sessions=one)
    with CaptureQueriesContext(connection) as fifteen:
        notifications_plan(sessions=many)
    assert len(fifteen) == len(single) <= 6


def test_planning_again_after_a_move_replaces_the_pending_messages(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 4, 10))
    notifications_plan(sessions=[session])
    old_reminder = session.notifications.get(kind=Kind.REMINDER)

    session.start += dt.timedelta(days=1)
    session.end += dt.timedelta(days=1)
    session.occupied_until += dt.timedelta(days=1)
    session.sequence += 1
    session.save()
    notifications_plan(sessions=[session], reason="rescheduled")

    old_reminder.refresh_from_db()
    assert old_reminder.status == Status.CANCELLED
    live = session.notifications.filter(status=Status.PENDING)
    assert sorted(live.values_list("kind", flat=True)) == ["no_driving", "reminder", "rescheduled"]
    assert session.course.notifications.get(kind=Kind.BOOKING_CONFIRMATION).status == Status.PENDING
    assert live.get(kind=Kind.REMINDER).send_at == clinic_time(2026, 3, 4, 10)

    notifications_dispatch()
    moved = [m for m in mail.outbox if "moved" in m.subject]
    assert len(moved) == 1 and "10:00 AM on Thursday, March 5" in moved[0].body


def test_planning_twice_with_the_same_session_version_never_doubles_a_message(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 4, 10))
    notifications_plan(sessions=[session])
    notifications_plan(sessions=[session], reason="rescheduled")
    assert session.notifications.filter(kind=Kind.REMINDER, status=Status.PENDING).count() == 1


def test_cancelling_a_session_cancels_its_pending_messages_and_tells_the_patient(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 4, 10))
    notifications_plan(sessions=[session])
    session.status = SessionStatus.CANCELLED
    session.save()

    cancelled = notifications_cancel(sessions=[session])

    assert cancelled == 2  # the reminder and the no-driving notice; the confirmation is about the course
    assert session.notifications.get(kind=Kind.REMINDER).status == Status.CANCELLED
    assert not session.notifications.filter(status=Status.PENDING).exists()
    notice = session.course.notifications.get(kind=Kind.CANCELLED)
    assert (notice.session, notice.status, notice.session_ids) == (None, Status.PENDING, [session.pk])

    notifications_cancel(sessions=[session])  # called again: still one notice
    assert Notification.objects.filter(kind=Kind.CANCELLED).count() == 1

    sent = notifications_dispatch(now=session.start - dt.timedelta(hours=1))  # the reminder would be due
    subjects = [m.subject for m in mail.outbox]
    # The notice; the course's confirmation is withdrawn as it has no session left.
    assert sent == 1
    assert any("is cancelled" in s and "10:00 AM on Wednesday, March 4" in s for s in subjects)
    assert not any("Reminder" in s or "drive" in s or "booked" in s for s in subjects)


def test_a_stale_reminder_is_never_sent_for_a_session_cancelled_behind_the_outbox(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 4, 10))
    notifications_plan(sessions=[session])
    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION).delete()
    session.status = SessionStatus.CANCELLED
    session.save()  # cancelled without telling the outbox

    assert notifications_dispatch(now=session.start - dt.timedelta(hours=1)) == 0
    assert session.notifications.get(kind=Kind.REMINDER).status == Status.CANCELLED
    assert mail.outbox == []


def test_a_review_notice_follows_the_review_when_it_moves(patient, monday_morning):
    session = make_session(patient, clinic_time(2026, 3, 4, 10), review_due=True)
    notifications_plan(sessions=[session])
    session.review_due = False
    session.save()
    notifications_dispatch(now=session.end)
    assert set(session.notifications.filter(kind=Kind.REVIEW_DUE).values_list("status", flat=True)) == {
        Status.CANCELLED
    }


def test_the_printable_no_driving_notice_has_the_same_words_as_the_message(patient, monday_morning):
    from django.template.loader import render_to_string

    session = make_session(patient, clinic_time(2026, 3, 3, 10))
    html = render_to_string("scheduling/notifications/no_driving_notice.html", no_driving_context(session=session))
    assert "<h2" in html and "Do not drive until 11:00 PM on Tuesday, March 3" in html
    assert "responsible adult takes you home" in html


def test_cancelling_the_rest_of_a_course_sends_one_notice_listing_the_sessions(patient, monday_morning):
    first = make_session(patient, clinic_time(2026, 3, 4, 10))
    rest = [make_session(patient, clinic_time(2026, 3, 4 + 2 * n, 10), course=first.course) for n in (1, 2, 3)]
    notifications_plan(sessions=[first, *rest])
    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION).delete()
    for session in rest:
        session.status = SessionStatus.CANCELLED
        session.save()
    notifications_cancel(sessions=rest)

    assert Notification.objects.filter(kind=Kind.CANCELLED).count() == 1
    assert notifications_dispatch() == 1
    (message,) = mail.outbox
    assert "3 of your appointments are cancelled" in message.subject
    for day in ("Friday, March 6", "Sunday, March 8", "Tuesday, March 10"):
        assert day in message.body
    assert "10:00 AM on Wednesday, March 4" in message.body  # still booked, listed under "Your sessions"
