"""Page titles that say which page this is (issue 19, WCAG 2.4.2): staff pages name the patient
and the date, the patient's own pages the date, in the clinic's time zone."""

import datetime as dt

import pytest

from scheduling.services import course_book
from tests.portal.markup import Page
from tests.scheduling.helpers import MONDAY, clear

pytestmark = pytest.mark.usefixtures("frozen", "chairs")


@pytest.fixture
def course(patient, clinician):
    clear(patient, clinician)
    return course_book(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))


def _title(response) -> str:
    assert response.status_code == 200
    return Page(response.content.decode()).title


def test_a_session_page_names_the_patient_and_the_day(front_desk_client, course, patient):
    session = course.sessions.first()
    assert _title(front_desk_client.get(f"/staff/sessions/{session.pk}/")).startswith(
        f"Session · {patient.full_name} · Dec 7 ·"
    )


def test_a_course_page_names_the_patient_and_its_first_day(front_desk_client, course, patient):
    assert _title(front_desk_client.get(f"/staff/courses/{course.pk}/")).startswith(
        f"Course · {patient.full_name} · from Dec 7 ·"
    )


def test_the_patients_own_session_page_names_the_day_only(patient_client, course, patient):
    session = course.sessions.first()
    title = _title(patient_client.get(f"/me/sessions/{session.pk}/"))
    assert title.startswith("My session · Dec 7 ·")
    assert patient.last_name not in title


def test_title_dates_are_clinic_dates(db):
    from portal.templatetags.clinic import clinic_day

    # 02:00 UTC on Dec 8 is 21:00 on Dec 7 in New York, the clinic's zone.
    assert clinic_day(dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)) == "Dec 7"
    assert clinic_day(dt.date(2026, 12, 8)) == "Dec 8"
    assert clinic_day(None) == ""
