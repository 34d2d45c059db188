import json
import logging

from portal.middleware import path_for_log


def test_request_log_lines_carry_no_patient_data(patient_client, patient, caplog):
    with caplog.at_level(logging.INFO, logger="portal.request"):
        patient_client.get("/me/?email=alice@example.com")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request"]
    assert lines and lines[-1]["path"] == "/me/" and lines[-1]["status"] == 200
    assert lines[-1]["user"] == patient.user.pk
    text = caplog.text
    assert "alice" not in text.lower() and "Archer" not in text


def test_tokens_in_paths_are_masked():
    assert path_for_log("/accounts/invite/Xy12_abcdefghijklmnopqrstu-vwxyz/") == "/accounts/invite/<token>/"
    assert path_for_log("/calendar/abcdefghijklmnopqrstuvwxyz123456.ics") == "/calendar/<token>.ics"
    assert path_for_log("/learn/ketamine-infusion-treatment-guide/") == "/learn/ketamine-infusion-treatment-guide/"


def test_opening_a_patient_in_the_admin_is_audited(clinician_client, clinician, patient, settings):
    from portal.models import AuditEvent

    clinician.is_superuser = True  # admin change view needs change permission
    clinician.save()
    response = clinician_client.get(f"/admin/portal/patient/{patient.pk}/change/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="patient.view_admin")
    assert event.actor == clinician and event.patient == patient
