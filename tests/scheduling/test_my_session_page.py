"""The patient's own session page, with the printable no-driving notice."""

import datetime as dt
import zoneinfo

import pytest

from scheduling.models import Chair
from tests.factories import SessionFactory

NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def session(patient):
    return SessionFactory(
        patient=patient, chair=Chair.objects.create(name="Chair A"), start=dt.datetime(2031, 3, 3, 10, 0, tzinfo=NY)
    )


def test_the_session_page_names_the_no_driving_clock_time(patient_client, session):
    body = patient_client.get(f"/me/sessions/{session.pk}/").content.decode()
    # Infusion ends 11:00 AM; 12 hours later is 11:00 PM in the clinic's zone.
    assert "11:00 PM" in body and "23:00" in body
    assert "responsible adult" in body


def test_another_patient_gets_404(other_patient_client, session):
    assert other_patient_client.get(f"/me/sessions/{session.pk}/").status_code == 404


def test_me_links_to_the_session_page(patient_client, session):
    assert f"/me/sessions/{session.pk}/" in patient_client.get("/me/").content.decode()
