"""An item-9 alert: how to reach the patient, each call recorded, escalation when nobody reached them."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from portal.models import ClinicSettings
from screening.intake import intake_step_save
from symptoms.models import ContactAttempt, SafetyAlert
from symptoms.safety import safety_alerts_escalate
from symptoms.services import phq9_record, safety_alerts_notify_pending

START = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def alert(patient, clinician):
    with time_machine.travel(START, tick=False):
        phq9_record(patient=patient, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])
    return SafetyAlert.objects.get(patient=patient)


def test_the_alert_page_shows_how_to_reach_the_patient(clinician_client, patient, alert):
    intake_step_save(patient=patient, step="people", by=patient.user, data={
        "emergency_name": "Sam Archer", "emergency_phone": "(555) 010-0111", "emergency_relationship": "brother"})
    page = clinician_client.get(f"/symptoms/patient/{patient.pk}/").content.decode()
    assert f'href="tel:{patient.phone_digits}"' in page
    assert "Sam Archer (brother)" in page and 'href="tel:(555) 010-0111"' in page
    assert f'href="/staff/patients/{patient.pk}/"' in page


def test_a_clinician_records_each_call_with_its_time(clinician_client, clinician, patient, alert):
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        response = clinician_client.post(f"/symptoms/alerts/{alert.pk}/contact/", {"outcome": "no_answer"})
        assert response.status_code == 302
        clinician_client.post(f"/symptoms/alerts/{alert.pk}/contact/",
                              {"outcome": "message_left", "at": "2026-11-24T04:30", "note": "Voicemail"})
    attempts = list(ContactAttempt.objects.order_by("at"))
    assert [a.outcome for a in attempts] == ["message_left", "no_answer"]
    assert attempts[0].at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)  # 04:30 in New York
    assert attempts[1].at == START + dt.timedelta(hours=1) and attempts[1].by == clinician


@pytest.mark.parametrize(("data", "message"), [
    ({"outcome": "maybe"}, "Select a valid choice"),
    ({"outcome": "reached", "at": "2099-01-01T10:00"}, "cannot be in the future"),
    ({"outcome": "reached", "at": "2020-01-01T10:00"}, "cannot be before the alert"),
    ({"outcome": "reached", "note": "x\x1by"}, "invisible"),
])
def test_a_bad_call_record_is_refused(clinician_client, alert, data, message):
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        response = clinician_client.post(f"/symptoms/alerts/{alert.pk}/contact/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not ContactAttempt.objects.exists()


def test_the_front_desk_cannot_record_a_call(front_desk_client, alert):
    assert front_desk_client.post(f"/symptoms/alerts/{alert.pk}/contact/", {"outcome": "reached"}).status_code == 403


def test_an_alert_with_no_contact_is_escalated_after_the_clinics_hours(alert, clinician):
    clinic = ClinicSettings.load()
    clinic.alert_escalation_hours = 3
    clinic.save()
    mail.outbox.clear()
    assert safety_alerts_escalate(now=START + dt.timedelta(hours=2, minutes=59)) == 0
    assert safety_alerts_escalate(now=START + dt.timedelta(hours=3)) == 1
    assert mail.outbox[-1].to == [clinician.email]
    assert "Alice" not in mail.outbox[-1].body and "Archer" not in mail.outbox[-1].subject
    assert SafetyAlert.objects.get().escalated_at == START + dt.timedelta(hours=3)
    assert safety_alerts_escalate(now=START + dt.timedelta(hours=9)) == 0  # once only


def test_a_call_that_reached_the_patient_stops_the_escalation(alert, clinician):
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        ContactAttempt.objects.create(alert=alert, by=clinician, outcome="reached", at=timezone.now())
    assert safety_alerts_escalate(now=START + dt.timedelta(hours=10)) == 0


def test_unanswered_calls_do_not_stop_the_escalation(alert, clinician):
    ContactAttempt.objects.create(alert=alert, by=clinician, outcome="no_answer", at=START + dt.timedelta(hours=1))
    assert safety_alerts_escalate(now=START + dt.timedelta(hours=5)) == 1


def test_with_no_clinician_to_email_the_alert_is_not_marked_and_the_dashboard_says_so(patient, front_desk_client):
    with time_machine.travel(START, tick=False):
        phq9_record(patient=patient, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])
    safety_alerts_notify_pending()
    assert SafetyAlert.objects.get().clinicians_notified_at is None
    assert safety_alerts_escalate(now=START + dt.timedelta(hours=10)) == 0
    page = front_desk_client.get("/staff/").content.decode()
    assert 'data-alert-email-missing="1"' in page and "Urgent: no clinician can receive safety emails" in page


def test_the_dashboard_is_quiet_when_a_clinician_can_receive_it(alert, front_desk_client):
    assert "data-alert-email-missing" not in front_desk_client.get("/staff/").content.decode()
