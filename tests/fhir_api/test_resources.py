"""What the FHIR API serves: every resource valid R4 (4.0.1, checked by fhir.resources), with
the PHQ-9's LOINC codes, the total as an Observation and the sessions as Appointments."""

import datetime as dt

from scheduling.models import SessionStatus
from tests.fhir_api.helpers import ANSWERS, LOINC_ANSWERS, LOINC_PHQ9_ITEMS, body, mark, validate


def _entries(client, resource_type: str, patient, query: str = "") -> list[dict]:
    bundle = body(client.get(f"/fhir/{resource_type}?patient={patient.pk}{query}"))
    validate(bundle)
    return [entry["resource"] for entry in bundle["entry"]]


def test_the_capability_statement_lists_exactly_what_is_served(client):
    statement = body(client.get("/fhir/metadata"))
    validate(statement)
    assert statement["fhirVersion"] == "4.0.1" and "application/fhir+json" in statement["format"]
    served = {r["type"]: [i["code"] for i in r["interaction"]] for r in statement["rest"][0]["resource"]}
    assert served == {"Patient": ["read"], "QuestionnaireResponse": ["search-type"],
                      "Observation": ["search-type"], "Appointment": ["search-type"]}
    params = {r["type"]: {p["name"] for p in r.get("searchParam", [])} for r in statement["rest"][0]["resource"]}
    assert params["QuestionnaireResponse"] == {"patient", "_lastUpdated", "authored"}
    assert params["Observation"] == {"patient", "_lastUpdated", "date", "code"}
    assert params["Appointment"] == {"patient", "_lastUpdated", "date"}


def test_the_patient_carries_name_birth_date_telecom_and_the_portal_identifier(clinician_client, patient):
    resource = body(clinician_client.get(f"/fhir/Patient/{patient.pk}"))
    validate(resource)
    assert resource["id"] == str(patient.pk)
    assert resource["name"][0]["family"] == "Archer" and resource["name"][0]["given"] == ["Alice"]
    assert resource["birthDate"] == patient.date_of_birth.isoformat()
    assert {"system": "email", "value": "alice@example.com", "use": "home"} in resource["telecom"]
    assert resource["identifier"][0]["system"].endswith("/fhir/sid/patient")
    assert resource["identifier"][0]["value"] == str(patient.pk)


def test_a_patient_without_phone_email_or_birth_date_is_still_valid(clinician_client, patient):
    patient.phone, patient.email, patient.date_of_birth = "", "", None
    patient.save()
    resource = body(clinician_client.get(f"/fhir/Patient/{patient.pk}"))
    validate(resource)
    assert "telecom" not in resource and "birthDate" not in resource


def test_each_phq9_response_has_the_loinc_items_and_answers(clinician_client, patient, record):
    _course, _sessions, reviews = record
    responses = _entries(clinician_client, "QuestionnaireResponse", patient)
    assert [r["id"] for r in responses] == [str(review.pk) for review in reviews]
    for resource, answers, review in zip(responses, ANSWERS, reviews, strict=True):
        assert resource["questionnaire"] == "http://loinc.org/q/44249-1"
        assert resource["status"] == "completed"
        assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert resource["authored"] == review.submitted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert [item["linkId"] for item in resource["item"]] == LOINC_PHQ9_ITEMS
        codings = [item["answer"][0]["valueCoding"] for item in resource["item"]]
        assert [c["code"] for c in codings] == [LOINC_ANSWERS[a] for a in answers]
        assert {c["system"] for c in codings} == {"http://loinc.org"}


def test_each_total_is_an_observation_derived_from_its_response(clinician_client, patient, record):
    _course, _sessions, reviews = record
    observations = _entries(clinician_client, "Observation", patient)
    assert len(observations) == 4
    for resource, answers, review in zip(observations, ANSWERS, reviews, strict=True):
        assert resource["code"]["coding"][0] == {
            "system": "http://loinc.org", "code": "44261-6",
            "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
        }
        assert resource["status"] == "final" and resource["category"][0]["coding"][0]["code"] == "survey"
        assert resource["valueInteger"] == sum(answers)
        assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{review.pk}"}]
        assert resource["interpretation"][0]["coding"][0]["code"] == review.band.replace(" ", "-")


def test_item_9_above_0_is_flagged_critical_and_0_is_not(clinician_client, patient, record):
    baseline, later = _entries(clinician_client, "Observation", patient)[:2]
    assert ANSWERS[0][8] == 1 and ANSWERS[1][8] == 0
    assert [i["coding"][0]["code"] for i in baseline["interpretation"]][1:] == ["AA"]
    assert baseline["component"][0]["code"]["coding"][0]["code"] == "44260-8"
    assert baseline["component"][0]["valueInteger"] == 1
    assert baseline["component"][0]["interpretation"][0]["coding"][0]["code"] == "AA"
    assert len(later["interpretation"]) == 1 and "interpretation" not in later["component"][0]


def test_sessions_are_appointments_with_mapped_status_utc_times_and_the_chair(clinician_client, patient, record):
    _course, sessions, _reviews = record
    mark(sessions[0], SessionStatus.COMPLETED)
    mark(sessions[1], SessionStatus.NO_SHOW)
    mark(sessions[17], SessionStatus.CANCELLED, "Patient asked to stop")
    appointments = _entries(clinician_client, "Appointment", patient)
    assert len(appointments) == 18
    assert [a["status"] for a in appointments[:3]] + [appointments[17]["status"]] == [
        "fulfilled", "noshow", "booked", "cancelled"]
    assert appointments[17]["cancelationReason"]["text"] == "Patient asked to stop"
    first = appointments[0]
    assert first["start"] == sessions[0].start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["end"] == sessions[0].occupied_until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    actors = [p["actor"]["reference"] for p in first["participant"]]
    assert actors[0] == f"Patient/{patient.pk}"
    chair = first["contained"][0]
    assert chair["resourceType"] == "Location" and chair["name"] == "Chair 1" and actors[1] == f"#{chair['id']}"


def test_every_error_answer_is_a_valid_operation_outcome(client, clinician_client, front_desk_client, patient):
    for response in (
        client.get(f"/fhir/Patient/{patient.pk}"),
        front_desk_client.get(f"/fhir/Patient/{patient.pk}"),
        clinician_client.get("/fhir/Patient/nope!"),
        clinician_client.get("/fhir/Patient/12345"),
        clinician_client.delete(f"/fhir/Patient/{patient.pk}"),
        clinician_client.get("/fhir/Observation?patient=1&date=soon"),
    ):
        validate(body(response))


def test_every_session_state_has_its_fhir_appointment_status():
    # A state missing here fell back to "booked": a patient who left before discharge looked booked.
    from fhir_api.resources import APPOINTMENT_STATUS
    from scheduling.models import SessionStatus

    assert set(APPOINTMENT_STATUS) == set(SessionStatus)
    assert APPOINTMENT_STATUS[SessionStatus.LEFT_EARLY] == "fulfilled"
