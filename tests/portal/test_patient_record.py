"""/staff/patients/<pk>/: the whole picture of one patient, each section for the roles that may see it."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from portal.models import AuditEvent, Patient
from portal.services import patient_update
from scheduling.models import Notification
from screening.models import Clearance
from screening.services import checklist_version_current, screening_submit
from symptoms.services import phq9_record
from tests.factories import NotificationFactory, PatientFactory, SessionFactory, UserFactory

NOTE = "Seizure-free since 2015; discussed by phone."


@pytest.fixture
def full_record(patient, clinician):
    version = checklist_version_current()
    answers = {code: "no" for code in version.codes}
    answers["epilepsy"] = "yes"
    screening = screening_submit(
        answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
        first_name=patient.first_name, last_name=patient.last_name, email=patient.email, patient=patient,
    )
    clearance = Clearance.objects.create(patient=patient, clinician=clinician, note=NOTE)
    screening.clearance = clearance
    screening.save(update_fields=["clearance"])
    session = SessionFactory(patient=patient)
    NotificationFactory(session=session, status=Notification.Status.FAILED, last_error="SMTP 451")
    review = phq9_record(patient=patient, answers=[3, 3, 2, 2, 1, 1, 1, 1, 2])
    return {"screening": screening, "session": session, "review": review}


def record(client, patient):
    response = client.get(f"/staff/patients/{patient.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_clinician_sees_every_section(clinician_client, patient, full_record):
    page = record(clinician_client, patient)
    assert "alice@example.com" in page
    assert 'data-condition="epilepsy"' in page  # the screening's answers
    assert NOTE in page  # the clearance history with the clinician's note
    assert f'data-session="{full_record["session"].pk}"' in page and "Booked" in page
    assert 'data-status="failed"' in page  # a message that failed
    assert "PHQ-9 totals over time" in page and f"({full_record['review'].total}, " in page
    assert "data-record-alerts" in page  # item 9 above 0


def test_the_front_desk_sees_details_sessions_and_messages(front_desk_client, patient, full_record):
    page = record(front_desk_client, patient)
    assert "alice@example.com" in page
    assert f'data-session="{full_record["session"].pk}"' in page
    assert 'data-status="failed"' in page


def test_the_front_desk_never_sees_screening_answers(front_desk_client, patient, full_record):
    page = record(front_desk_client, patient)
    assert 'data-record-section="screenings"' in page
    assert 'data-condition="epilepsy"' not in page and "Epilepsy" not in page
    assert "Flagged for review" not in page


def test_the_front_desk_never_sees_clinicians_notes(front_desk_client, patient, full_record):
    page = record(front_desk_client, patient)
    assert NOTE not in page and "data-record-clearances" not in page


def test_the_front_desk_never_sees_phq9_scores_or_alerts(front_desk_client, patient, full_record):
    page = record(front_desk_client, patient)
    assert 'data-record-section="symptoms"' in page
    assert "PHQ-9 totals over time" not in page and "data-record-alerts" not in page
    assert f"({full_record['review'].total}, " not in page and "moderately severe" not in page


def test_each_look_at_the_record_is_audited(front_desk_client, front_desk, patient):
    record(front_desk_client, patient)
    event = AuditEvent.objects.get(action="patient.record_view")
    assert event.actor == front_desk and event.patient == patient


def test_patients_cannot_open_a_record(patient_client, patient, other_patient):
    assert patient_client.get(f"/staff/patients/{patient.pk}/").status_code == 403
    assert patient_client.get(f"/staff/patients/{other_patient.pk}/").status_code == 403


def test_an_unknown_patient_is_a_404(front_desk_client):
    assert front_desk_client.get("/staff/patients/999999/").status_code == 404


def test_the_record_takes_a_bounded_number_of_queries(clinician_client, patient, full_record,
                                                        django_assert_max_num_queries):
    for n in range(1, 6):
        SessionFactory(patient=patient, start=full_record["session"].start + dt.timedelta(days=2 * n))
    with django_assert_max_num_queries(40):
        record(clinician_client, patient)


# --- Editing the details ------------------------------------------------------------------


def test_the_front_desk_changes_details_and_each_field_is_audited(front_desk_client, front_desk, patient):
    response = front_desk_client.post(f"/staff/patients/{patient.pk}/edit/", {
        "first_name": "Alice", "last_name": "Archer-Lee", "email": "alice@example.com",
        "phone": "(555) 010-0142", "date_of_birth": "1980-02-29",
    })
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Archer-Lee" and patient.phone == "(555) 010-0142"
    event = AuditEvent.objects.get(action="patient.change")
    assert event.actor == front_desk
    assert event.detail["fields"]["last_name"] == {"old": "Archer", "new": "Archer-Lee"}
    assert event.detail["fields"]["date_of_birth"]["new"] == "1980-02-29"
    assert "first_name" not in event.detail["fields"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("date_of_birth", "2999-01-01", "date of birth in the past"),
    ("first_name", "Al\x00ice", "Null characters are not allowed"),
    ("last_name", "Arch\ner", "line breaks"),
    pytest.param("last_name", "A" * 10_000, "at most 100", id="10000-characters"),
    ("phone", "call me", "7 to 15 digits"),
])
def test_bad_details_are_refused_with_the_form_kept(front_desk_client, patient, field, value, message):
    data = {"first_name": "Alice", "last_name": "Archer", "email": "alice@example.com", "phone": "",
            "date_of_birth": "1980-01-01", field: value}
    response = front_desk_client.post(f"/staff/patients/{patient.pk}/edit/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Patient.objects.get(pk=patient.pk).last_name == "Archer"
    assert not AuditEvent.objects.filter(action="patient.change").exists()


def test_another_patients_email_is_refused(front_desk_client, patient, other_patient):
    response = front_desk_client.post(f"/staff/patients/{patient.pk}/edit/", {
        "first_name": "Alice", "last_name": "Archer", "email": "BOB@example.com",
    })
    assert response.status_code == 400 and "Another patient already has this email" in response.content.decode()
    assert Patient.objects.get(pk=patient.pk).email == "alice@example.com"


def test_the_service_refuses_a_patient(patient, other_patient):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        patient_update(patient=other_patient, by=patient.user, changes={"last_name": "X"})


def test_nothing_changed_writes_no_audit_event(front_desk, patient):
    patient_update(patient=patient, by=front_desk, changes={"last_name": "Archer"})
    assert not AuditEvent.objects.filter(action="patient.change").exists()


def test_names_on_the_dashboard_link_to_the_record(clinician_client, patient, full_record):
    other = PatientFactory(first_name="Erin", last_name="Ellis")
    version = checklist_version_current()
    screening_submit(
        answers={code: "no" for code in version.codes}, version=version, submission_key=uuid.uuid4().hex,
        consent=True, first_name="Erin", last_name="Ellis", email=other.email, patient=other,
    )
    page = clinician_client.get("/staff/").content.decode()
    assert f'href="/staff/patients/{other.pk}/">Erin Ellis</a>' in page  # the referral
    assert f'href="/staff/patients/{patient.pk}/">Alice Archer</a>' in page  # the alert


def test_names_on_the_day_sheet_link_to_the_record(front_desk_client, patient):
    session = SessionFactory(patient=patient)
    day = timezone.localtime(session.start, session.start.tzinfo).date().isoformat()
    page = front_desk_client.get(f"/staff/day/{day}/").content.decode()
    assert f'href="/staff/patients/{patient.pk}/">Alice Archer</a>' in page


def test_a_clinician_without_a_front_desk_role_may_edit_too(client, patient):
    from portal.models import Role

    clinician = UserFactory(role=Role.CLINICIAN)
    client.force_login(clinician)
    assert client.get(f"/staff/patients/{patient.pk}/edit/").status_code == 200
