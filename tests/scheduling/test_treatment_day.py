"""The treatment day as it happened: each step in turn, refused out of turn or out of time,
and the no-driving notice timed and worded from what was recorded (issue 14)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent, ClinicSettings
from scheduling import services
from scheduling.models import DayStage, Notification, Session, SessionStatus
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_plan
from screening.services import consent_sign
from tests.race import failures, race, successes
from tests.scheduling.helpers import NY, clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups", "clinic")]
Kind, Status = Notification.Kind, Notification.Status
# Tuesday 2026-03-03, 10:00-11:00 booked, recovery to 13:00.
START = clinic_time(2026, 3, 3, 10)


def booked(patient, start=START):
    with time_machine.travel(start - dt.timedelta(days=2), tick=False):
        session = make_session(patient, start)
        notifications_plan(sessions=[session])
        notifications_dispatch()  # the booking confirmation
    mail.outbox.clear()
    return session


def signed(patient):
    consent_sign(patient=patient, signed_name=patient.full_name)
    return patient


def at(hour, minute=0, day=3):
    return clinic_time(2026, 3, day, hour, minute)


def no_driving_rows(session):
    return list(session.notifications.filter(kind=Kind.NO_DRIVING).values_list("status", flat=True))


def walk(session, front_desk, clinician, *, arrive, start, end, discharge):
    with time_machine.travel(arrive, tick=False):
        services.session_arrive(session=session, by=front_desk, ride_home_name="Sam Archer",
                                ride_home_phone="(555) 010-0199", bladder_emptied=True, no_alcohol_or_drugs=True)
    with time_machine.travel(start, tick=False):
        services.session_infusion_start(session=session, by=clinician)
    with time_machine.travel(end, tick=False):
        services.session_infusion_end(session=session, by=clinician)
    with time_machine.travel(discharge, tick=False):
        services.session_discharge(session=session, by=clinician)
    session.refresh_from_db()
    return session


def test_a_late_start_moves_the_notice_and_the_time_it_names(patient, front_desk, clinician):
    session = booked(signed(patient))
    assert session.no_driving_until == at(23)

    walk(session, front_desk, clinician, arrive=at(10, 20), start=at(10, 40), end=at(11, 45), discharge=at(13, 30))

    assert session.no_driving_until == at(23, 45)
    assert (session.status, session.day_stage) == (SessionStatus.COMPLETED, DayStage.DISCHARGED)
    # Nothing went at the booked end (11:00) while the infusion was running.
    assert notifications_dispatch(now=at(11, 30)) == 0
    assert notifications_dispatch(now=at(13, 30)) == 1
    (message,) = mail.outbox
    assert "until 11:45 PM on Tuesday, March 3 (23:45)" in message.body.replace(", 2026", "")  # sent after the travel: far dates name their year
    assert "Your infusion ended at 11:45 AM" in message.body
    assert "The clinic asks you not to drive, or take alcohol or recreational drugs, for 12 hours" in message.body
    assert no_driving_rows(session).count(Status.SENT) == 1
    actions = set(AuditEvent.objects.filter(object_id=str(session.pk)).values_list("action", flat=True))
    assert {"session.arrive", "session.infusion_start", "session.infusion_end", "session.discharge"} <= actions


def test_the_notice_never_goes_while_an_infusion_runs_without_a_recorded_end(patient, front_desk, clinician):
    session = booked(signed(patient))
    with time_machine.travel(at(10), tick=False):
        services.session_arrive(session=session, by=front_desk)
        services.session_infusion_start(session=session, by=clinician)
    assert notifications_dispatch(now=at(11)) == 0
    assert notifications_dispatch(now=at(13)) == 0
    assert not mail.outbox


def test_where_nothing_is_recorded_the_notice_goes_at_the_booked_end_naming_it(patient):
    booked(patient)
    assert notifications_dispatch(now=at(11)) == 1
    assert "until 11:00 PM on Tuesday, March 3 (23:00)" in mail.outbox[0].body.replace(", 2026", "")
    assert "planned to end at 11:00 AM" in mail.outbox[0].body


def test_hours_changed_after_booking_replan_the_time_and_the_notice(patient):
    session = booked(patient)
    with time_machine.travel(at(8), tick=False):
        clinic = ClinicSettings.load()
        clinic.no_driving_hours = 24
        clinic.save()
    session.refresh_from_db()
    assert session.no_driving_until == clinic_time(2026, 3, 4, 11)
    assert session.notifications.get(kind=Kind.NO_DRIVING, status=Status.PENDING).expires_at == session.no_driving_until
    notifications_dispatch(now=at(11))
    assert "until 11:00 AM on Wednesday, March 4 (11:00)" in mail.outbox[0].body.replace(", 2026", "")
    assert "for 24 hours after each treatment" in mail.outbox[0].body


def test_hours_changed_after_an_infusion_ended_keep_the_time_the_patient_was_told(patient, front_desk, clinician):
    session = walk(booked(signed(patient)), front_desk, clinician,
                   arrive=at(9, 50), start=at(10), end=at(11), discharge=at(12))
    with time_machine.travel(at(14), tick=False):
        clinic = ClinicSettings.load()
        clinic.no_driving_hours = 24
        clinic.save()
    session.refresh_from_db()
    assert session.no_driving_until == at(23)


def test_a_no_show_sends_nothing(patient, front_desk):
    session = booked(patient)
    with time_machine.travel(at(10, 30), tick=False):
        services.session_no_show(session=session, by=front_desk)
    assert notifications_dispatch(now=at(12)) == 0
    assert set(no_driving_rows(session)) == {Status.CANCELLED}


def test_a_patient_who_left_before_discharge_is_sent_nothing(patient, front_desk, clinician):
    session = booked(signed(patient))
    with time_machine.travel(at(10), tick=False):
        services.session_arrive(session=session, by=front_desk, ride_home_name="Sam", ride_home_phone="5550100199",
                                ride_home_may_text=True)
        services.session_infusion_start(session=session, by=clinician)
    with time_machine.travel(at(11), tick=False):
        services.session_infusion_end(session=session, by=clinician)
        services.session_left_early(session=session, by=front_desk, reason="Walked out")
    session.refresh_from_db()
    assert session.day_stage == DayStage.LEFT_EARLY
    assert notifications_dispatch(now=at(14)) == 0
    assert not mail.outbox
    assert not session.notifications.filter(status__in=[Status.PENDING, Status.SENT]).exists()


def test_a_daylight_saving_day_keeps_the_window_twelve_real_hours(patient, front_desk, clinician):
    # Saturday 2026-10-31, 8 PM: the clocks go back at 2 AM, so 12 hours later is 7 AM on the wall.
    start = clinic_time(2026, 10, 31, 19)
    session = walk(booked(signed(patient), start), front_desk, clinician, arrive=start, start=start,
                   end=clinic_time(2026, 10, 31, 20), discharge=clinic_time(2026, 10, 31, 21))
    assert session.no_driving_until - clinic_time(2026, 10, 31, 20) == dt.timedelta(hours=12)
    assert session.no_driving_until.astimezone(NY).hour == 7
    notifications_dispatch(now=clinic_time(2026, 10, 31, 21))
    assert "until 7:00 AM on Sunday, November 1 (07:00)" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_two_staff_recording_the_same_step_at_once_one_wins_the_other_is_told(patient, front_desk, clinician):
    session = booked(patient)
    with time_machine.travel(at(10, 2), tick=False):
        outcomes = race(lambda user: services.session_arrive(session=Session.objects.get(pk=session.pk), by=user),
                        [front_desk, clinician])
    assert len(successes(outcomes)) == 1
    (refusal,) = failures(outcomes)
    assert isinstance(refusal, ValidationError)
    assert "Arrival was already recorded by" in str(refusal) and "at 10:02 AM" in str(refusal)
    assert AuditEvent.objects.filter(action="session.arrive").count() == 1


def _unchanged(session, before):
    session.refresh_from_db()
    after = {f: getattr(session, f) for f in before}
    assert after == before


@pytest.mark.parametrize(
    "step, when, message",
    [
        ("start", at(10), "Record arrival first"),
        ("arrive", at(10, 30), "in the future"),
        ("arrive", clinic_time(2026, 3, 2, 10), "record its arrival on that day"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_changes(patient, front_desk, clinician, step, when, message):
    session = booked(signed(patient))
    fields = ["arrived_at", "infusion_started_at", "status", "no_driving_until"]
    before = {f: getattr(session, f) for f in fields}
    with time_machine.travel(at(10, 5), tick=False), pytest.raises(ValidationError, match=message):
        if step == "start":
            services.session_infusion_start(session=session, by=clinician, at=when)
        else:
            services.session_arrive(session=session, by=front_desk, at=when)
    _unchanged(session, before)


def test_a_step_before_the_one_it_follows_is_refused(patient, front_desk, clinician):
    session = booked(signed(patient))
    with time_machine.travel(at(10, 30), tick=False):
        services.session_arrive(session=session, by=front_desk, at=at(10))
        with pytest.raises(ValidationError, match=r"9:50 AM is before arrival \(10:00 AM\)"):
            services.session_infusion_start(session=session, by=clinician, at=at(9, 50))
        services.session_infusion_start(session=session, by=clinician, at=at(10, 5))
        with pytest.raises(ValidationError, match="before the infusion's start"):
            services.session_infusion_end(session=session, by=clinician, at=at(10, 5))
    session.refresh_from_db()
    assert session.infusion_ended_at is None


def test_the_infusion_cannot_start_without_the_current_consent(patient, front_desk, clinician):
    session = booked(patient)
    with time_machine.travel(at(10), tick=False):
        services.session_arrive(session=session, by=front_desk)
        with pytest.raises(ValidationError, match="has not signed the clinic's current consent"):
            services.session_infusion_start(session=session, by=clinician)
    session.refresh_from_db()
    assert session.infusion_started_at is None
    assert not AuditEvent.objects.filter(action="session.infusion_start").exists()


def test_front_desk_cannot_discharge(patient, front_desk, clinician):
    session = booked(signed(patient))
    with time_machine.travel(at(12), tick=False):
        services.session_arrive(session=session, by=front_desk, at=at(10))
        services.session_infusion_start(session=session, by=front_desk, at=at(10, 5))
        services.session_infusion_end(session=session, by=front_desk, at=at(11))
        with pytest.raises(PermissionDenied):
            services.session_discharge(session=session, by=front_desk)
        with pytest.raises(PermissionDenied):
            services.session_arrive(session=booked(patient, at(15)), by=patient.user)
    session.refresh_from_db()
    assert (session.discharged_at, session.status) == (None, SessionStatus.BOOKED)


def test_a_no_at_arrival_flags_the_session_without_blocking(patient, front_desk, clinician):
    session = booked(signed(patient))
    with time_machine.travel(at(10), tick=False):
        services.session_arrive(session=session, by=front_desk, bladder_emptied=False, no_alcohol_or_drugs=False)
        services.session_infusion_start(session=session, by=clinician)
    session.refresh_from_db()
    assert session.pre_check_flags == [
        "Bladder not emptied yet", "Alcohol or recreational drugs in the last 12 hours", "No ride home recorded",
    ]
    assert session.day_stage == DayStage.INFUSING


def test_the_ride_home_text_names_only_the_time_and_needs_the_patients_consent(patient, front_desk, clinician,
                                                                            sms_outbox, settings):
    # The name messages go out under (the contract's CLINIC_MESSAGE_NAME): no health matter in it.
    settings.CLINIC_MESSAGE_NAME = "Riverside Clinic"
    session = booked(signed(patient))
    with time_machine.travel(at(10), tick=False):
        services.session_arrive(session=session, by=front_desk, ride_home_name="Sam",
                                ride_home_phone="(555) 010-0199", ride_home_may_text=True)
        services.session_infusion_start(session=session, by=clinician)
    with time_machine.travel(at(11, 10), tick=False):
        services.session_infusion_end(session=session, by=clinician)
    assert notifications_dispatch(now=at(12, 40)) == 0
    assert notifications_dispatch(now=at(12, 51)) == 1
    (text,) = sms_outbox
    assert text.to == "(555) 010-0199"
    body = text.body
    assert body.startswith("A message from Riverside Clinic\n")  # the lock screen shows only who wrote
    assert "ready to be collected at about 1:10 PM" in body
    for word in ("ketamine", "infusion", "Alice", "Archer"):
        assert word.lower() not in body.lower()


def test_no_ride_home_text_without_the_patients_consent(patient, front_desk, clinician, sms_outbox):
    session = booked(signed(patient))
    with time_machine.travel(at(10), tick=False):
        services.session_arrive(session=session, by=front_desk, ride_home_name="Sam", ride_home_phone="(555) 010-0199")
        services.session_infusion_start(session=session, by=clinician)
    with time_machine.travel(at(11), tick=False):
        services.session_infusion_end(session=session, by=clinician)
    notifications_dispatch(now=at(14))
    assert not sms_outbox
    assert not session.notifications.filter(kind=Kind.RIDE_HOME).exists()
