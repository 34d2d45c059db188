"""Informed consent: versions, signatures, and which signature still counts."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent, Role
from screening.consent import SEED_BODY, consent_blocks
from screening.models import Consent, ConsentVersion
from screening.services import (
    consent_draft_new,
    consent_is_current,
    consent_publish,
    consent_sign,
    consent_version_current,
)
from tests.factories import PatientFactory, PatientWithAccountFactory, UserFactory


@pytest.fixture
def clinician(db):
    return UserFactory(role=Role.CLINICIAN)


def publish_new(clinician, *, material: bool) -> ConsentVersion:
    draft = consent_draft_new(by=clinician)
    draft.body = draft.body + "\n\nA new paragraph."
    draft.material = material
    draft.changes = "Added a paragraph."
    draft.save()
    return consent_publish(version=draft, by=clinician)


def test_a_published_version_exists_from_the_start_and_covers_what_a_patient_must_know(db):
    version = consent_version_current()
    assert version.is_published
    text = " ".join(block.get("text", "") for block in consent_blocks(version)).lower()
    for fact in ("not approved by the fda", "off label", "45 to 60 minutes", "stop at any time", "911", "988",
                 "12 hours", "responsible adult", "ride-share"):
        assert fact in text, fact


def test_the_side_effects_come_from_the_published_guide_not_a_copy(db):
    blocks = consent_blocks(consent_version_current())
    groups = next(block["groups"] for block in blocks if block["kind"] == "insert")
    assert [len(group["rows"]) for group in groups] == [7, 6, 9]
    assert "tachycardia" in [row["term"] for row in groups[0]["rows"]]
    assert "tachycardia" not in SEED_BODY


def test_the_no_driving_hours_are_the_clinics(db):
    from portal.models import ClinicSettings

    clinic = ClinicSettings.load()
    clinic.no_driving_hours = 24
    clinic.save()
    text = " ".join(block.get("text", "") for block in consent_blocks(consent_version_current()))
    assert "For 24 hours after each treatment" in text


def test_signing_keeps_the_exact_version_audits_and_emails_a_copy(django_capture_on_commit_callbacks, db):
    patient = PatientWithAccountFactory(first_name="Ana", last_name="Díaz")
    with django_capture_on_commit_callbacks(execute=True):
        consent = consent_sign(patient=patient, signed_name="  ana   DÍAZ ")
    assert consent.version == consent_version_current()
    assert consent.signed_at is not None
    assert consent.signed_name == "ana DÍAZ"
    assert consent_is_current(patient=patient)
    event = AuditEvent.objects.get(action="consent.signed.portal")
    assert event.patient == patient and event.detail == {"version": consent.version.number}
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert "consent" not in message.subject.lower() and "Díaz" not in message.subject
    assert "Signed by ana DÍAZ" in message.body
    assert "tachycardia" in message.body
    assert "tachycardia" in message.alternatives[0][0]


@pytest.mark.parametrize("name", ["Maria Diaz", "Ana", "", "Ana Díaz\x00", "Ana\nDíaz"])
def test_a_signature_in_another_name_is_refused_and_nothing_is_kept(db, name):
    patient = PatientFactory(first_name="Ana", last_name="Díaz")
    with pytest.raises(ValidationError) as caught:
        consent_sign(patient=patient, signed_name=name)
    assert "signed_name" in caught.value.message_dict
    assert not Consent.objects.exists()
    assert not consent_is_current(patient=patient)


def test_signing_twice_keeps_one_signature(db):
    patient = PatientFactory(first_name="Ana", last_name="Diaz")
    first = consent_sign(patient=patient, signed_name="Ana Diaz")
    assert consent_sign(patient=patient, signed_name="Ana Diaz") == first
    assert Consent.objects.count() == 1


def test_a_signature_taken_in_the_clinic_names_the_staff_member(db):
    patient = PatientFactory(first_name="Ana", last_name="Diaz")
    desk = UserFactory(role=Role.FRONT_DESK)
    consent = consent_sign(patient=patient, signed_name="Ana Diaz", recorded_by=desk)
    assert consent.method == Consent.Method.CLINIC and consent.recorded_by == desk
    assert AuditEvent.objects.filter(action="consent.signed.clinic", actor=desk).exists()
    with pytest.raises(PermissionDenied):
        consent_sign(patient=PatientFactory(), signed_name="x", recorded_by=UserFactory(role=Role.PATIENT))


def test_a_minor_change_keeps_signatures_a_material_one_asks_again(db, clinician):
    patient = PatientFactory(first_name="Ana", last_name="Diaz")
    consent_sign(patient=patient, signed_name="Ana Diaz")
    minor = publish_new(clinician, material=False)
    assert consent_version_current() == minor
    assert consent_is_current(patient=patient)
    publish_new(clinician, material=True)
    assert not consent_is_current(patient=patient)
    consent = consent_sign(patient=patient, signed_name="Ana Diaz")
    assert consent.version.number == 3
    assert consent_is_current(patient=patient)


def test_a_published_version_is_never_rewritten_or_deleted(db, clinician):
    version = consent_version_current()
    version.body = "Something else"
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        version.delete()
    with pytest.raises(ValidationError):
        consent_publish(version=consent_version_current(), by=clinician)


def test_only_staff_with_the_permission_edit_or_publish(db):
    desk = UserFactory(role=Role.FRONT_DESK)
    with pytest.raises(PermissionDenied):
        consent_draft_new(by=desk)
    draft = consent_draft_new(by=UserFactory(role=Role.CLINICIAN))
    with pytest.raises(PermissionDenied):
        consent_publish(version=draft, by=desk)
    draft.refresh_from_db()
    assert not draft.is_published
