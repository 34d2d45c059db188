"""The patient's intake: step by step, checked, sent, changed with history, shown to the clinic."""

import datetime as dt

import pytest

from screening.intake import intake_step_save, intake_submit
from screening.models import Intake, IntakeChange

STEPS = {
    "reasons": {"reasons": ["depression", "ptsd"], "how_long": "2_5", "date_of_birth": "1980-05-01"},
    "treatments": {"antidepressants_tried": "3", "therapy": "on", "ketamine_before": "on"},
    "medicines": {"medicines": "sertraline 100 mg\nlithium 300 mg", "allergies": "penicillin"},
    "people": {"emergency_name": "Sam Archer", "emergency_phone": "(555) 010-0111", "emergency_relationship": "brother",
               "ride_name": "Pat Archer", "ride_phone": "(555) 010-0222"},
    "visits": {"preferred_days": ["0", "2"], "preferred_times": "morning", "access_needs": "Wheelchair",
               "language": "Spanish"},
}


def do_intake(client):
    for name, data in STEPS.items():
        response = client.post(f"/me/intake/{name}/", {**data, "action": "next"})
        assert response.status_code == 302, response.content.decode()[:3000]
    return client.post("/me/intake/")


def test_the_patient_fills_every_step_and_sends_it(patient_client, patient):
    response = do_intake(patient_client)
    assert response.status_code == 302 and response["Location"] == "/me/"
    intake = Intake.objects.get(patient=patient)
    assert intake.submitted_at is not None
    assert intake.reasons == ["depression", "ptsd"] and intake.antidepressants_tried == 3
    assert intake.therapy and intake.ketamine_before and not intake.ect_or_tms
    assert intake.medicines == "sertraline 100 mg\nlithium 300 mg"
    assert intake.preferred_days == [0, 2] and intake.ride_name == "Pat Archer"
    assert intake.date_of_birth == dt.date(1980, 5, 1)


def test_each_step_is_saved_on_its_own(patient_client, patient):
    patient_client.post("/me/intake/reasons/", {**STEPS["reasons"], "action": "next"})
    intake = Intake.objects.get(patient=patient)
    assert intake.steps_done == ["reasons"] and intake.submitted_at is None
    response = patient_client.post("/me/intake/")
    assert response.status_code == 302 and response["Location"] == "/me/intake/treatments/"
    assert Intake.objects.get(patient=patient).submitted_at is None


@pytest.mark.parametrize(("step", "field", "value", "message"), [
    ("reasons", "date_of_birth", "2999-01-01", "date of birth in the past"),
    pytest.param("medicines", "medicines", "x" * 10_000, "2000 characters or fewer", id="10000-characters"),
    pytest.param("visits", "access_needs", "y" * 10_000, "1000 characters or fewer", id="10000-characters-access"),
    ("people", "emergency_name", "Sam\x07Archer", "invisible"),
    ("people", "ride_name", "Pat\nArcher", "line breaks"),
    ("medicines", "allergies", "nuts\x1b[31m", "invisible"),
    ("people", "emergency_phone", "call me", "7 to 15 digits"),
    ("reasons", "reasons", [], "at least one reason"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_lost(patient_client, patient, step, field, value, message):
    do_intake(patient_client)
    before = Intake.objects.get(patient=patient)
    response = patient_client.post(f"/me/intake/{step}/", {**STEPS[step], field: value, "action": "next"})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if isinstance(value, str) and len(value) < 100 and "\x00" not in value and value.isprintable():
        assert value in page  # the form keeps what was typed
    after = Intake.objects.get(patient=patient)
    assert after.updated_at == before.updated_at and not IntakeChange.objects.exists()


def test_a_change_after_sending_is_kept_as_history(patient_client, patient):
    do_intake(patient_client)
    patient_client.post("/me/intake/medicines/", {"medicines": "sertraline 150 mg", "allergies": "penicillin",
                                                  "action": "next"})
    change = IntakeChange.objects.get()
    assert change.by == patient.user
    assert change.fields == {"medicines": {"old": "sertraline 100 mg\nlithium 300 mg", "new": "sertraline 150 mg"}}


def test_saving_the_same_answers_writes_no_history(patient_client, patient):
    do_intake(patient_client)
    patient_client.post("/me/intake/medicines/", {**STEPS["medicines"], "action": "next"})
    assert not IntakeChange.objects.exists()


def test_sending_needs_every_step(patient):
    intake_step_save(patient=patient, step="medicines", data={"medicines": "", "allergies": ""}, by=patient.user)
    with pytest.raises(Exception, match="finish every step"):
        intake_submit(patient=patient, by=patient.user)


def test_another_patient_cannot_write_someones_intake(patient, other_patient):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        intake_step_save(patient=patient, step="medicines", data={}, by=other_patient.user)


def test_staff_cannot_use_the_patient_pages(front_desk_client):
    assert front_desk_client.get("/me/intake/").status_code == 403


def test_an_unknown_step_is_a_404(patient_client):
    assert patient_client.get("/me/intake/nope/").status_code == 404


def test_the_clinician_sees_the_intake_beside_the_screening(patient_client, patient, clinician, client):
    import uuid

    from screening.services import checklist_version_current, screening_submit

    do_intake(patient_client)
    version = checklist_version_current()
    screening = screening_submit(
        answers={code: "no" for code in version.codes}, version=version, submission_key=uuid.uuid4().hex,
        consent=True, first_name="Alice", last_name="Archer", email=patient.email, patient=patient,
    )
    client.force_login(clinician)
    page = client.get(f"/screening/{screening.pk}/").content.decode()
    assert "Depression, PTSD (post-traumatic stress)" in page and "lithium 300 mg" in page
    assert "Pat Archer" in page and "Sam Archer" in page


def test_the_front_desk_sees_only_the_practical_part_on_the_record(patient_client, patient, front_desk, client):
    do_intake(patient_client)
    client.force_login(front_desk)
    page = client.get(f"/staff/patients/{patient.pk}/").content.decode()
    assert 'data-record-section="intake"' in page
    assert "Pat Archer" in page and "Sam Archer" in page and "Monday, Wednesday" in page
    assert "lithium" not in page and "PTSD" not in page and "penicillin" not in page


def test_the_booking_page_shows_preferred_days_and_ride_home(patient_client, patient, front_desk, client):
    do_intake(patient_client)
    client.force_login(front_desk)
    page = client.get(f"/staff/book/?patient={patient.pk}").content.decode()
    assert "data-intake-booking" in page and "Monday, Wednesday" in page and "Pat Archer" in page
