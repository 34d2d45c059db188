"""course_book: whole courses, by the clinic's rules, or nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from portal.models import AuditEvent, ClinicSettings
from scheduling.models import Chair, ClosedDay, Course, Session, SessionStatus
from scheduling.services import course_book
from tests.factories import PatientFactory
from tests.scheduling.helpers import MONDAY, NY, clear

pytestmark = pytest.mark.usefixtures("frozen", "chairs")

TEN = dt.time(10, 0)


def book(patient, **overrides):
    options = {"first_day": MONDAY, "sessions_per_week": 3, "weeks": 2, "start_time": TEN}
    options.update(overrides)
    return course_book(patient=patient, **options)


def local(session):
    return session.start.astimezone(NY)


def assert_nothing_written():
    assert Course.objects.count() == 0
    assert Session.objects.count() == 0


def test_it_books_every_session_of_a_course_at_the_wall_clock_time_on_the_first_chair(cleared_patient, front_desk):
    course = book(cleared_patient, weeks=6, booked_by=front_desk)

    sessions = list(course.sessions.all())
    assert len(sessions) == 18
    assert {local(s).time() for s in sessions} == {TEN}
    assert {s.chair.name for s in sessions} == {"Chair 1"}
    assert {local(s).strftime("%a") for s in sessions} == {"Mon", "Wed", "Fri"}
    assert sessions[0].start.astimezone(NY).date() == MONDAY
    assert all(s.end - s.start == dt.timedelta(minutes=60) for s in sessions)
    assert all(s.occupied_until - s.start == dt.timedelta(minutes=180) for s in sessions)
    assert all(s.patient_id == cleared_patient.pk and s.status == SessionStatus.BOOKED for s in sessions)
    assert AuditEvent.objects.filter(action="course.book", patient=cleared_patient, actor=front_desk).exists()


def test_the_fifth_tenth_and_fifteenth_sessions_are_review_points(cleared_patient):
    course = book(cleared_patient, weeks=6)
    flags = [s.review_due for s in course.sessions.all()]
    assert [n for n, flag in enumerate(flags, start=1) if flag] == [5, 10, 15]


def test_without_preferred_weekdays_each_week_takes_the_earliest_days_that_keep_a_clear_day(cleared_patient):
    course = book(cleared_patient, sessions_per_week=2, weeks=2)
    days = [local(s).date() for s in course.sessions.all()]
    assert days == [MONDAY, MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=9)]


def test_preferred_weekdays_are_kept(cleared_patient):
    course = book(cleared_patient, sessions_per_week=2, weeks=2, weekdays=[0, 3])
    assert [local(s).strftime("%a") for s in course.sessions.all()] == ["Mon", "Thu", "Mon", "Thu"]


def test_a_closed_day_in_the_course_is_stepped_over_when_no_weekdays_are_preferred(cleared_patient, clinic):
    ClosedDay.objects.create(clinic=clinic, date=MONDAY + dt.timedelta(days=2), reason="Staff training")
    course = book(cleared_patient, sessions_per_week=2, weeks=1)
    assert [local(s).strftime("%a") for s in course.sessions.all()] == ["Mon", "Thu"]


def test_it_takes_the_next_chair_when_the_first_is_taken(cleared_patient, cleared_other_patient):
    book(cleared_other_patient, weeks=1)
    course = book(cleared_patient, weeks=1)
    assert {s.chair.name for s in course.sessions.all()} == {"Chair 2"}


def test_it_never_picks_an_inactive_chair(cleared_patient):
    Chair.objects.filter(name="Chair 1").update(active=False)
    course = book(cleared_patient, weeks=1)
    assert {s.chair.name for s in course.sessions.all()} == {"Chair 2"}


def test_the_clinics_clear_day_setting_is_followed(cleared_patient, clinic):
    clinic.min_clear_days = 2
    clinic.save()
    course = book(cleared_patient, sessions_per_week=2, weeks=1)
    assert [local(s).strftime("%a") for s in course.sessions.all()] == ["Mon", "Thu"]
    with pytest.raises(ValidationError, match="Week 1"):
        book(cleared_patient, first_day=MONDAY + dt.timedelta(days=14), sessions_per_week=3, weeks=1)


def test_a_second_course_after_the_first_keeps_a_clear_day(cleared_patient):
    book(cleared_patient, sessions_per_week=2, weeks=1)  # Monday and Wednesday
    thursday = MONDAY + dt.timedelta(days=3)
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, first_day=thursday, sessions_per_week=2, weeks=1)
    assert "clear day" in excinfo.value.message_dict["first_day"][0]
    second = book(cleared_patient, first_day=thursday + dt.timedelta(days=1), sessions_per_week=2, weeks=1)
    assert second.sessions.count() == 2


# --- Bad input: a ValidationError that says what to do, and nothing written ------------


def test_it_refuses_a_fourth_session_in_one_week(cleared_patient):
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, sessions_per_week=4)
    assert "2 or 3 sessions a week" in " ".join(excinfo.value.messages)
    assert "sessions_per_week" in excinfo.value.message_dict
    assert_nothing_written()


def test_it_refuses_one_session_a_week(cleared_patient):
    with pytest.raises(ValidationError):
        book(cleared_patient, sessions_per_week=1)
    assert_nothing_written()


def test_it_refuses_a_seventh_week(cleared_patient):
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, weeks=7)
    assert "6 weeks" in " ".join(excinfo.value.messages)
    assert "weeks" in excinfo.value.message_dict
    assert_nothing_written()


def test_it_refuses_a_first_day_on_a_closed_day(cleared_patient, clinic):
    ClosedDay.objects.create(clinic=clinic, date=MONDAY, reason="Holiday")
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient)
    messages = excinfo.value.message_dict["first_day"]
    assert "closed" in messages[0] and MONDAY.isoformat() in messages[0] and "Holiday" in messages[0]
    assert_nothing_written()


def test_it_refuses_a_first_day_when_the_clinic_does_not_open(cleared_patient):
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, first_day=MONDAY - dt.timedelta(days=1))
    assert "does not open on Sundays" in excinfo.value.message_dict["first_day"][0]
    assert_nothing_written()


def test_it_refuses_a_start_whose_recovery_runs_past_closing(cleared_patient):
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, start_time=dt.time(16, 0))
    message = excinfo.value.message_dict["start_time"][0]
    assert "19:00" in message and "18:00" in message and "earlier start time" in message
    assert_nothing_written()


def test_it_refuses_a_start_before_opening(cleared_patient):
    with pytest.raises(ValidationError):
        book(cleared_patient, start_time=dt.time(7, 30))
    assert_nothing_written()


def test_it_refuses_an_uncleared_patient(patient):
    with pytest.raises(ValidationError) as excinfo:
        book(patient)
    assert "not cleared" in excinfo.value.message_dict["patient"][0]
    assert_nothing_written()


def test_a_clinicians_later_not_suitable_decision_blocks_booking(cleared_patient, clinician):
    from screening.models import Clearance

    Clearance.objects.create(patient=cleared_patient, clinician=clinician, decision="not_suitable", note="No.")
    with pytest.raises(ValidationError):
        book(cleared_patient)
    assert_nothing_written()


def test_it_refuses_a_course_that_overlaps_the_patients_other_course(cleared_patient):
    book(cleared_patient, weeks=2)
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, first_day=MONDAY + dt.timedelta(days=8), sessions_per_week=2, weeks=1)
    assert "other course" in " ".join(excinfo.value.messages)
    assert Course.objects.count() == 1 and Session.objects.count() == 6


def test_it_refuses_an_inactive_chair_chosen_on_the_booking_page(cleared_patient):
    inactive = Chair.objects.get(name="Chair 3")
    inactive.active = False
    inactive.save()
    slots = [(MONDAY, TEN, inactive), (MONDAY + dt.timedelta(days=2), TEN, None)]
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, sessions_per_week=2, weeks=1, slots=slots)
    message = " ".join(excinfo.value.messages)
    assert "Chair 3 is not in use" in message and MONDAY.isoformat() in message
    assert_nothing_written()


def test_it_refuses_a_date_in_the_past(cleared_patient):
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, first_day=MONDAY - dt.timedelta(days=14))
    assert "past" in excinfo.value.message_dict["first_day"][0]
    assert_nothing_written()


def test_it_refuses_a_time_earlier_today(cleared_patient, frozen):
    today = dt.date(2026, 11, 27)  # the frozen clock says 12:00 on this Friday
    with pytest.raises(ValidationError):
        book(cleared_patient, first_day=today, weeks=1)
    assert_nothing_written()


def test_when_no_chair_is_free_it_names_the_date_and_books_nothing(cleared_patient):
    wednesday = MONDAY + dt.timedelta(days=2)
    for _n in range(6):
        book(clear(PatientFactory(), _clinician()), first_day=wednesday, sessions_per_week=2, weeks=1)
    before = Session.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient, weeks=1)
    message = " ".join(excinfo.value.messages)
    assert wednesday.isoformat() in message and "no chair is free" in message
    assert MONDAY.isoformat() not in message.split("cannot be booked")[1]
    assert Session.objects.count() == before
    assert not Course.objects.filter(patient=cleared_patient).exists()


def test_it_never_moves_a_session_to_another_time_by_itself(cleared_patient):
    with pytest.raises(ValidationError):
        book(cleared_patient, start_time=dt.time(15, 30))
    assert_nothing_written()


def test_booking_page_slots_are_booked_as_chosen(cleared_patient):
    chair5 = Chair.objects.get(name="Chair 5")
    slots = [(MONDAY, TEN, None), (MONDAY + dt.timedelta(days=3), dt.time(13, 30), chair5)]
    course = book(cleared_patient, sessions_per_week=2, weeks=1, slots=slots)
    got = [(local(s).date(), local(s).time(), s.chair.name) for s in course.sessions.all()]
    assert got == [(MONDAY, TEN, "Chair 1"), (MONDAY + dt.timedelta(days=3), dt.time(13, 30), "Chair 5")]


def test_booking_page_slots_must_fill_every_week(cleared_patient):
    slots = [(MONDAY, TEN, None), (MONDAY + dt.timedelta(days=9), TEN, None)]
    with pytest.raises(ValidationError, match="Week 1"):
        book(cleared_patient, sessions_per_week=2, weeks=1, slots=slots)
    assert_nothing_written()


def _clinician():
    from portal.models import Role
    from tests.factories import UserFactory

    return UserFactory(role=Role.CLINICIAN)


def test_clinic_settings_change_the_session_length(cleared_patient):
    settings = ClinicSettings.load()
    settings.infusion_minutes, settings.recovery_minutes = 45, 90
    settings.save()
    course = book(cleared_patient, weeks=1, start_time=dt.time(15, 45))
    session = course.sessions.first()
    assert session.end - session.start == dt.timedelta(minutes=45)
    assert session.occupied_until - session.start == dt.timedelta(minutes=135)


def test_it_refuses_when_every_chair_is_switched_off(cleared_patient):
    Chair.objects.update(active=False)
    with pytest.raises(ValidationError) as excinfo:
        book(cleared_patient)
    assert "No chair is in use" in " ".join(excinfo.value.messages)
    assert_nothing_written()


def test_iso_strings_are_accepted_for_dates_and_times(cleared_patient):
    course = book(cleared_patient, first_day=MONDAY.isoformat(), start_time="10:00", weeks="1")
    assert course.sessions.count() == 3 and course.first_day == MONDAY
