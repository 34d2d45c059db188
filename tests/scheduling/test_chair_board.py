"""The chair board: today's sessions with their stage, one step a row, refusals shown with
the form kept, the discharge only for clinicians, and a constant number of queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import AuditEvent
from scheduling import services
from scheduling.models import Chair, DayStage
from screening.services import consent_sign
from tests.factories import PatientFactory
from tests.scheduling.helpers import clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups", "clinic")]
BOARD = "/staff/board/"
START = clinic_time(2026, 3, 3, 10)


@pytest.fixture
def today():
    with time_machine.travel(clinic_time(2026, 3, 3, 10, 5), tick=False) as traveller:
        yield traveller


def step_url(session, step):
    return reverse("scheduling:board-step", args=[session.pk, step])


def test_the_board_lists_todays_sessions_with_their_stage_and_the_next_step(front_desk_client, patient, today):
    session = make_session(patient, START)
    tomorrow = make_session(PatientFactory(), START + dt.timedelta(days=1))
    html = front_desk_client.get(BOARD).content.decode()
    assert f'data-session="{session.pk}" data-stage="booked"' in html
    assert f'data-session="{tomorrow.pk}"' not in html
    assert step_url(session, "arrive") in html
    assert "Consent not signed:" in html and "Record Alice Archer" in html
    assert AuditEvent.objects.filter(action="schedule.board_view").exists()


def test_check_in_from_the_board_records_the_answers_and_flags_a_no(front_desk_client, patient, today):
    session = make_session(patient, START)
    response = front_desk_client.post(step_url(session, "arrive"), {
        "time": "10:03", "bladder_emptied": "no", "no_alcohol_or_drugs": "yes",
        "ride_home_name": "Sam Archer", "ride_home_phone": "(555) 010-0199", "ride_home_may_text": "on",
    })
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.arrived_at == clinic_time(2026, 3, 3, 10, 3)
    assert (session.bladder_emptied, session.no_alcohol_or_drugs, session.ride_home_may_text) == (False, True, True)
    html = front_desk_client.get(BOARD).content.decode()
    assert "For the clinician: Bladder not emptied yet" in html


def test_a_refused_step_shows_why_keeps_the_form_and_changes_nothing(front_desk_client, patient, today):
    session = make_session(patient, START)
    response = front_desk_client.post(step_url(session, "arrive"), {
        "time": "11:30", "bladder_emptied": "yes", "no_alcohol_or_drugs": "yes", "ride_home_name": "Sam Archer",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert "11:30 AM is in the future" in html
    assert 'value="Sam Archer"' in html and 'value="11:30"' in html
    session.refresh_from_db()
    assert session.arrived_at is None


def test_a_bad_phone_number_is_refused_with_a_message(front_desk_client, patient, today):
    session = make_session(patient, START)
    response = front_desk_client.post(step_url(session, "arrive"), {
        "bladder_emptied": "yes", "no_alcohol_or_drugs": "yes", "ride_home_phone": "call me",
    })
    assert response.status_code == 400
    assert "Enter a phone number" in response.content.decode()


def test_front_desk_sees_no_discharge_button_and_cannot_post_one(front_desk_client, front_desk, patient, today):
    session = make_session(patient, START)
    consent_sign(patient=patient, signed_name="Alice Archer")
    services.session_arrive(session=session, by=front_desk, at=clinic_time(2026, 3, 3, 9, 50))
    services.session_infusion_start(session=session, by=front_desk, at=clinic_time(2026, 3, 3, 9, 55))
    services.session_infusion_end(session=session, by=front_desk, at=clinic_time(2026, 3, 3, 10))
    html = front_desk_client.get(BOARD).content.decode()
    assert step_url(session, "discharge") not in html
    assert "A clinician checks the patient and records the discharge." in html
    assert front_desk_client.post(step_url(session, "discharge"), {"time": ""}).status_code == 403
    session.refresh_from_db()
    assert session.discharged_at is None


def test_a_clinician_discharges_from_the_board(clinician_client, clinician, patient, today):
    session = make_session(patient, START)
    consent_sign(patient=patient, signed_name="Alice Archer")
    services.session_arrive(session=session, by=clinician, at=clinic_time(2026, 3, 3, 9, 0))
    services.session_infusion_start(session=session, by=clinician, at=clinic_time(2026, 3, 3, 9, 5))
    services.session_infusion_end(session=session, by=clinician, at=clinic_time(2026, 3, 3, 9, 50))
    assert step_url(session, "discharge") in clinician_client.get(BOARD).content.decode()
    assert clinician_client.post(step_url(session, "discharge"), {"time": ""}).status_code == 302
    session.refresh_from_db()
    assert session.day_stage == DayStage.DISCHARGED
    assert session.discharged_at == clinic_time(2026, 3, 3, 10, 5)


def test_late_and_unrecorded_sessions_are_said_in_words(front_desk_client, patient, other_patient):
    late = make_session(patient, clinic_time(2026, 3, 3, 9))
    forgotten = make_session(other_patient, clinic_time(2026, 3, 3, 8), chair=Chair.objects.create(name="Chair 9"))
    with time_machine.travel(clinic_time(2026, 3, 3, 11, 30), tick=False):
        html = front_desk_client.get(BOARD).content.decode()
    assert "Late: not checked in (booked 9:00 AM)" in html
    assert "Not recorded: booked 8:00 AM, nothing recorded yet" in html
    assert late.pk and forgotten.pk


def test_the_fragment_is_the_rows_alone(front_desk_client, patient, today):
    make_session(patient, START)
    html = front_desk_client.get(BOARD + "?fragment=1").content.decode()
    assert "<html" not in html and "chair-board" in html


def test_a_patient_cannot_see_or_use_the_board(patient_client, patient, today):
    session = make_session(patient, START)
    assert patient_client.get(BOARD).status_code == 403
    assert patient_client.post(step_url(session, "arrive"), {}).status_code == 403


def _board_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(BOARD).status_code == 200
    return len(queries)


def test_the_board_costs_the_same_queries_for_4_or_40_sessions(clinician_client, clinician, today):
    chairs = [Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})[0] for n in range(1, 11)]

    def fill(count, offset):
        for n in range(offset, offset + count):
            patient = PatientFactory()
            session = make_session(patient, clinic_time(2026, 3, 3, 8 + (n // 10) * 3), chair=chairs[n % 10])
            if n % 3 == 0:
                consent_sign(patient=patient, signed_name=patient.full_name)
                services.session_arrive(session=session, by=clinician, at=clinic_time(2026, 3, 3, 8))

    fill(4, 0)
    few = _board_queries(clinician_client)
    fill(36, 4)
    many = _board_queries(clinician_client)
    assert many == few
    assert many <= 12
