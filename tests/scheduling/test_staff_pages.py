"""The front desk's pages: booking (propose, resolve, book), registering a
phoned-in patient, the day sheet and week view, and one session's changes."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.models import AuditEvent, ClinicSettings, Patient
from scheduling.models import Chair, Course, Session, SessionStatus
from scheduling.services import course_book
from tests.factories import PatientFactory
from tests.scheduling.helpers import MONDAY, NY, clear

pytestmark = pytest.mark.usefixtures("frozen", "chairs")

BOOK = reverse("scheduling:book")


def pattern(patient, **overrides):
    data = {
        "patient": patient.pk,
        "first_day": MONDAY.isoformat(),
        "sessions_per_week": "3",
        "weeks": "2",
        "start_time": "10:00",
        "action": "propose",
    }
    data.update(overrides)
    return data


def rows_from(response):
    """The proposal's rows as the page posts them (a formset with the prefix "slot")."""
    plan = response.context["plan"]
    data = {"slot-TOTAL_FORMS": str(len(plan.sessions)), "slot-INITIAL_FORMS": str(len(plan.sessions))}
    for index, s in enumerate(plan.sessions):
        data[f"slot-{index}-date"] = s.day.isoformat()
        data[f"slot-{index}-time"] = s.start_time.strftime("%H:%M")
        data[f"slot-{index}-chair"] = str(s.requested_chair.pk) if s.requested_chair else ""
    return data


def test_only_staff_reach_the_booking_page(client, patient):
    assert client.get(BOOK).status_code == 302
    client.force_login(patient.user)
    assert client.get(BOOK).status_code == 403


def test_the_booking_page_lists_only_cleared_patients(front_desk_client, cleared_patient, other_patient):
    response = front_desk_client.get(BOOK)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Archer" in html and "Bob Baker" not in html
    assert 'type="date"' in html and 'type="time"' in html


def test_a_clearance_taken_back_takes_the_patient_off_the_page_and_out_of_the_planner(
    front_desk_client, cleared_patient, clinician
):
    from screening.models import Clearance

    Clearance.objects.create(patient=cleared_patient, clinician=clinician, decision="more_info", note="Call first")
    assert "Alice Archer" not in front_desk_client.get(BOOK).content.decode()
    response = front_desk_client.post(BOOK, pattern(cleared_patient))
    assert "is not cleared for treatment yet" in " ".join(response.context["form"].errors["patient"])
    assert not Course.objects.exists()


def test_proposing_shows_every_session_and_writes_nothing(front_desk_client, cleared_patient):
    response = front_desk_client.post(BOOK, pattern(cleared_patient))
    assert response.status_code == 200
    plan = response.context["plan"]
    assert len(plan.sessions) == 6 and plan.ok
    html = response.content.decode()
    assert html.count('data-ok="true"') == 6
    assert "Every session fits" in html and "Book course" in html
    assert not Course.objects.exists()


def test_without_weekdays_the_page_proposes_the_planners_earliest_days(front_desk_client, cleared_patient):
    # One rule in one place: the page sends no weekdays of its own, so it proposes what
    # course_book would book: each week's earliest opening days that keep a clear day.
    response = front_desk_client.post(BOOK, pattern(cleared_patient, sessions_per_week="2"))
    assert [s.day.strftime("%a") for s in response.context["plan"].sessions] == ["Mon", "Wed", "Mon", "Wed"]
    assert response.context["plan"].ok


def test_without_weekdays_a_week_starting_on_tuesday_steps_over_the_weekend(front_desk_client, cleared_patient):
    tuesday = MONDAY + dt.timedelta(days=1)
    response = front_desk_client.post(BOOK, pattern(cleared_patient, first_day=tuesday.isoformat(), weeks="1"))
    plan = response.context["plan"]
    assert [s.day for s in plan.sessions] == [tuesday, tuesday + dt.timedelta(days=2), MONDAY + dt.timedelta(days=7)]
    assert plan.ok


def test_preferred_weekdays_on_the_page_are_kept_and_a_closed_one_is_named(front_desk_client, cleared_patient):
    tuesday = MONDAY + dt.timedelta(days=1)
    data = pattern(cleared_patient, first_day=tuesday.isoformat(), weeks="1", weekdays=["1", "3", "5"])
    response = front_desk_client.post(BOOK, data)
    assert [s.day.strftime("%a") for s in response.context["plan"].sessions] == ["Tue", "Thu", "Sat"]
    assert not response.context["plan"].ok  # Saturday: the clinic is closed, and the page says so
    assert "does not open on Saturdays" in response.content.decode()


def test_booking_from_the_proposal_books_the_whole_course(front_desk_client, cleared_patient, front_desk):
    proposal = front_desk_client.post(BOOK, pattern(cleared_patient))
    response = front_desk_client.post(BOOK, {**pattern(cleared_patient, action="book"), **rows_from(proposal)})
    course = Course.objects.get(patient=cleared_patient)
    assert response.status_code == 302 and response.url == reverse("scheduling:course", args=[course.pk])
    assert course.sessions.count() == 6 and course.booked_by == front_desk


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"sessions_per_week": "4"}, "sessions_per_week", "2 or 3 sessions a week"),
        ({"weeks": "7"}, "weeks", "6 weeks"),
        ({"start_time": "16:00"}, "start_time", "after the clinic closes"),
        ({"first_day": "2026-11-02"}, "first_day", "in the past"),
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_the_form_is_kept(
    front_desk_client, cleared_patient, overrides, field, words
):
    response = front_desk_client.post(BOOK, pattern(cleared_patient, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    html = response.content.decode()
    assert words in html
    assert f'value="{cleared_patient.pk}" selected' in html
    assert not Course.objects.exists() and not Session.objects.exists()


def test_an_uncleared_patient_is_refused_on_the_form(front_desk_client, patient):
    response = front_desk_client.post(BOOK, pattern(patient, action="book"))
    assert "not cleared" in " ".join(response.context["form"].errors["patient"])
    assert not Course.objects.exists()


def test_a_conflict_is_marked_with_alternatives_and_resolved_by_choosing_one(
    front_desk_client, cleared_patient, clinician
):
    Chair.objects.exclude(name="Chair 1").update(active=False)
    thursday = MONDAY + dt.timedelta(days=3)
    course_book(patient=clear(PatientFactory(), clinician), first_day=thursday, sessions_per_week=2, weeks=1,
                start_time=dt.time(10), slots=[(thursday, dt.time(10), None),
                                               (thursday + dt.timedelta(days=4), dt.time(15), None)])
    two_a_week = pattern(cleared_patient, weeks="1", sessions_per_week="2", weekdays=["0", "3"])
    response = front_desk_client.post(BOOK, two_a_week)
    plan = response.context["plan"]
    conflicted = [s for s in plan.sessions if not s.ok]
    assert [s.day for s in conflicted] == [thursday]
    kinds = {a.kind for a in conflicted[0].alternatives}
    assert {"time", "day"} <= kinds
    html = response.content.decode()
    assert 'data-ok="false"' in html and "Conflict" in html and "Alternatives for session 2" in html

    choice = next(a for a in conflicted[0].alternatives if a.kind == "time")
    data = {**two_a_week, "action": "update", **rows_from(response), "slot-1-choice": choice.value}
    checked = front_desk_client.post(BOOK, data)
    assert checked.context["plan"].ok
    booked = front_desk_client.post(BOOK, {**two_a_week, "action": "book", **rows_from(checked)})
    assert booked.status_code == 302
    times = [s.start.astimezone(NY).time() for s in Course.objects.get(patient=cleared_patient).sessions.all()]
    assert times[1] == choice.start_time and times[0] == dt.time(10)


def test_booking_a_course_with_a_conflict_books_nothing_and_names_the_date(
    front_desk_client, cleared_patient, clinician
):
    Chair.objects.exclude(name="Chair 1").update(active=False)
    wednesday = MONDAY + dt.timedelta(days=2)
    course_book(patient=clear(PatientFactory(), clinician), first_day=wednesday, sessions_per_week=2, weeks=1,
                start_time=dt.time(10))
    proposal = front_desk_client.post(BOOK, pattern(cleared_patient, weeks="1"))
    response = front_desk_client.post(BOOK, {**pattern(cleared_patient, weeks="1", action="book"),
                                             **rows_from(proposal)})
    assert response.status_code == 200
    assert wednesday.isoformat() in " ".join(response.context["form"].non_field_errors())
    assert not Course.objects.filter(patient=cleared_patient).exists()


def test_registering_a_phoned_in_patient_with_an_invitation(front_desk_client, front_desk, mailoutbox):
    response = front_desk_client.post(
        reverse("scheduling:register"),
        {"first_name": "Carla", "last_name": "Cruz", "email": "carla@example.com", "phone": "(555) 010-0142",
         "date_of_birth": "1980-04-02", "invite": "on"},
    )
    assert response.status_code == 302
    patient = Patient.objects.get(email="carla@example.com")
    assert patient.date_of_birth == dt.date(1980, 4, 2)
    assert AuditEvent.objects.filter(action="patient.register", patient=patient, actor=front_desk).exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["carla@example.com"]


def test_registering_needs_a_way_to_reach_the_patient(front_desk_client):
    response = front_desk_client.post(reverse("scheduling:register"), {"first_name": "No", "last_name": "Contact"})
    assert response.status_code == 200
    assert "email address or a phone number" in response.content.decode()
    assert not Patient.objects.filter(last_name="Contact").exists()


def _fill_day(clinician, count):
    """`count` sessions on MONDAY: one-hour sessions without recovery, ten a chair."""
    settings = ClinicSettings.load()
    settings.recovery_minutes = 0
    settings.save()
    chairs = list(Chair.objects.all())
    sessions = []
    for n in range(count):
        patient = PatientFactory()
        course = Course.objects.create(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1,
                                       start_time=dt.time(8))
        start = dt.datetime.combine(MONDAY, dt.time(8 + n % 10), tzinfo=NY)
        sessions.append(Session(course=course, patient=patient, chair=chairs[n // 10], start=start,
                                end=start + dt.timedelta(hours=1), occupied_until=start + dt.timedelta(hours=1),
                                no_driving_until=start + dt.timedelta(hours=13)))
    Session.objects.bulk_create(sessions)


def test_the_day_sheet_with_fifty_sessions_costs_at_most_ten_queries(
    front_desk_client, clinician, django_assert_max_num_queries
):
    _fill_day(clinician, 50)
    url = reverse("scheduling:day", args=[MONDAY.isoformat()])
    front_desk_client.get(url)
    with django_assert_max_num_queries(10):
        response = front_desk_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="sheet-session"') == 50
    assert "Chair 1" in html and "Chair 6" in html
    assert AuditEvent.objects.filter(action="schedule.day_view").exists()


def test_the_week_view_lists_the_weeks_sessions(front_desk_client, cleared_patient, django_assert_max_num_queries):
    course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=2, start_time=dt.time(10))
    url = reverse("scheduling:week", args=[(MONDAY + dt.timedelta(days=3)).isoformat()])
    with django_assert_max_num_queries(10):
        response = front_desk_client.get(url)
    html = response.content.decode()
    assert html.count('class="sheet-session"') == 3
    assert "Week of Monday 2026-12-07" in html


def test_the_date_inputs_jump_to_a_day(front_desk_client):
    response = front_desk_client.get(reverse("scheduling:day-jump"), {"date": "2026-12-09"})
    assert response.url == reverse("scheduling:day", args=["2026-12-09"])
    assert front_desk_client.get(reverse("scheduling:day", args=["not-a-date"])).status_code == 404


@pytest.fixture
def booked(cleared_patient):
    return course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=2,
                       start_time=dt.time(10))


def test_a_session_is_cancelled_from_its_page_with_a_reason(front_desk_client, booked):
    session = booked.sessions.first()
    page = front_desk_client.get(reverse("scheduling:session", args=[session.pk]))
    assert page.status_code == 200 and "Alice Archer" in page.content.decode()
    missing = front_desk_client.post(reverse("scheduling:session-cancel", args=[session.pk]), {"reason": ""})
    assert missing.status_code == 400
    response = front_desk_client.post(reverse("scheduling:session-cancel", args=[session.pk]), {"reason": "Flu"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED and session.status_reason == "Flu"


def test_a_session_is_moved_from_its_page(front_desk_client, booked):
    session = booked.sessions.all()[1]
    url = reverse("scheduling:session-reschedule", args=[session.pk])
    refused = front_desk_client.post(url, {"day": "2026-12-10", "start_time": "10:00", "chair": "", "reason": "x"})
    assert refused.status_code == 400 and "clear day" in refused.content.decode()
    moved = front_desk_client.post(url, {"day": "2026-12-09", "start_time": "14:00", "chair": "", "reason": "Asked"})
    assert moved.status_code == 302
    session.refresh_from_db()
    assert session.start.astimezone(NY).time() == dt.time(14) and session.sequence == 1


def test_the_rest_of_a_course_is_cancelled_from_the_course_page(front_desk_client, booked):
    page = front_desk_client.get(reverse("scheduling:course", args=[booked.pk]))
    assert page.status_code == 200
    response = front_desk_client.post(reverse("scheduling:course-cancel-rest", args=[booked.pk]), {"reason": "Moved"})
    assert response.status_code == 302
    assert not booked.sessions.exclude(status="cancelled").exists()


def test_a_future_session_cannot_be_marked_and_the_page_says_why(front_desk_client, booked):
    session = booked.sessions.first()
    response = front_desk_client.post(reverse("scheduling:session-mark", args=[session.pk]), {"status": "completed"})
    assert response.status_code == 400 and "once it has started" in response.content.decode()


def test_patients_cannot_open_staff_session_pages(patient_client, booked):
    session = booked.sessions.first()
    assert patient_client.get(reverse("scheduling:session", args=[session.pk])).status_code == 403
    assert patient_client.post(reverse("scheduling:session-cancel", args=[session.pk]), {"reason": "x"}).status_code == 403


def test_the_staff_dashboard_shows_todays_chairs(front_desk_client, booked):
    response = front_desk_client.get(reverse("staff"))
    html = response.content.decode()
    assert "Today&#x27;s chairs" in html or "Today's chairs" in html
    assert reverse("scheduling:book") in html


def test_the_move_form_states_the_week_and_clear_day_rule_before_it_refuses(front_desk_client, booked):
    session = booked.sessions.order_by("start")[3]  # the first of week 2
    text = " ".join(front_desk_client.get(reverse("scheduling:session", args=[session.pk])).content.decode().split())
    assert "stays in week 2 of the course, from Monday, December 14 to Sunday, December 20." in text
    assert "Leave at least 1 clear day between it and the patient's other sessions." in text


def test_a_chair_conflict_names_when_the_other_booking_holds_the_chair(front_desk_client, booked, cleared_other_patient):
    other = course_book(patient=cleared_other_patient, first_day=MONDAY, sessions_per_week=3, weeks=1,
                        start_time=dt.time(14))
    session = booked.sessions.order_by("start")[0]
    chair = other.sessions.order_by("start")[0].chair
    response = front_desk_client.post(
        reverse("scheduling:session-reschedule", args=[session.pk]),
        {"day": MONDAY.isoformat(), "start_time": "13:00", "chair": chair.pk, "reason": "Asked to come later"},
    )
    assert response.status_code == 400
    assert f"{chair.name} is taken from 14:00 to 17:00 by another booking" in response.content.decode()
