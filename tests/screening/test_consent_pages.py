"""The consent pages: a patient signs in the portal, keeps a printable copy, sees where they
stand on /me/; staff record a signature typed on a clinic tablet; clinicians edit, preview
and publish versions in the admin."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from portal.models import AuditEvent, ClinicSettings
from screening.consent import consent_draft_new, consent_publish, consent_sign, consent_version_current
from screening.models import Consent, ConsentVersion
from tests.factories import PatientFactory

SIGN = {"signed_name": "Alice Archer", "agree": "on"}


def publish_new(clinician, *, material: bool) -> ConsentVersion:
    draft = consent_draft_new(by=clinician)
    draft.body += "\n\nYou may bring a friend to your first session."
    draft.material = material
    draft.changes = "A friend may come along."
    draft.save()
    return consent_publish(version=draft, by=clinician)


# --- The patient signs -------------------------------------------------------------------


def test_the_patient_reads_the_current_form_with_the_time_a_signature_records(client, patient):
    with time_machine.travel(dt.datetime(2026, 12, 3, 3, 5, tzinfo=dt.UTC), tick=False):
        client.force_login(patient.user)
        response = client.get("/screening/consent/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "not approved by the FDA" in page and "tachycardia" in page
    assert "Version 1" in page
    # 3:05 AM in UTC is still the evening before at the clinic (New York).
    assert "It is now 10:05 PM on Wednesday, December 2." in page
    assert 'name="signed_name"' in page and 'name="agree"' in page


def test_signing_keeps_the_version_audits_emails_and_shows_the_printable_copy(
    patient_client, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post("/screening/consent/", {"signed_name": "  alice   ARCHER ", "agree": "on"})
    consent = Consent.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == f"/screening/consent/{consent.pk}/"
    assert consent.version == consent_version_current() and consent.method == Consent.Method.PORTAL
    assert AuditEvent.objects.filter(action="consent.signed.portal", patient=patient).count() == 1
    assert [message.to for message in mail.outbox] == [[patient.email]]

    copy = patient_client.get(response["Location"])
    page = copy.content.decode()
    assert copy.status_code == 200
    assert "Thank you. You signed the consent form." in page
    assert "alice ARCHER" in page and "Alice Archer" in page
    assert "not approved by the FDA" in page
    assert 'media="print"' in page  # the print style sheet hides the navigation


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"signed_name": "Bob Baker", "agree": "on"}, "signed_name", "Type the full name the clinic has"),
        ({"signed_name": "Alice Archer"}, "agree", "Tick the box to say you have read the form and agree."),
        ({"signed_name": "", "agree": "on"}, "signed_name", "Type your full name to sign."),
        ({"signed_name": "Alice\x07Archer", "agree": "on"}, "signed_name", "invisible characters"),
        ({"signed_name": "Alice Archer\x00", "agree": "on"}, "signed_name", "Null characters are not allowed."),
        ({"signed_name": "A" * 10_000, "agree": "on"}, "signed_name", "This is too long for a name."),
    ],
)
def test_a_bad_signature_is_refused_with_a_message_the_form_kept_and_nothing_written(
    patient_client, patient, data, field, message
):
    response = patient_client.post("/screening/consent/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The form was not signed." in page
    assert message in page
    assert f'id="id_{field}_error"' in page
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="consent.signed").exists()
    if data.get("agree"):
        assert 'name="agree" id="id_agree" class="form-check-input" checked' in page
    if data["signed_name"] == "Bob Baker":
        assert 'value="Bob Baker"' in page


def test_another_patients_copy_is_a_404_and_staff_looking_at_it_is_audited(
    client, patient, other_patient, front_desk
):
    consent = consent_sign(patient=patient, signed_name="Alice Archer")
    client.force_login(other_patient.user)
    assert client.get(f"/screening/consent/{consent.pk}/").status_code == 404
    client.force_login(front_desk)
    response = client.get(f"/screening/consent/{consent.pk}/")
    assert response.status_code == 200 and "Alice Archer" in response.content.decode()
    assert AuditEvent.objects.filter(action="consent.view", actor=front_desk, patient=patient).exists()


def test_the_copy_keeps_the_text_as_signed_when_the_clinic_changes_its_hours(patient_client, patient):
    consent = consent_sign(patient=patient, signed_name="Alice Archer")
    clinic = ClinicSettings.load()
    clinic.no_driving_hours = 24
    clinic.save()
    page = patient_client.get(f"/screening/consent/{consent.pk}/").content.decode()
    assert "For 12 hours after each treatment" in page
    assert "For 24 hours" not in page
    assert "For 24 hours after each treatment" in patient_client.get("/screening/consent/").content.decode()


# --- Where the patient stands, on /me/ --------------------------------------------------


def test_my_portal_says_sign_then_signed_then_sign_again_after_a_material_change(patient_client, patient, clinician):
    page = patient_client.get("/me/").content.decode()
    assert "Sign the consent form before your first infusion." in page
    assert 'href="/screening/consent/"' in page

    with time_machine.travel(dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC), tick=False):
        consent_sign(patient=patient, signed_name="Alice Archer")
    page = patient_client.get("/me/").content.decode()
    assert "Signed version 1 on December 2, 2026." in page  # the clinic's date, not UTC's

    publish_new(clinician, material=False)
    assert "Signed version 1 on December 2, 2026." in patient_client.get("/me/").content.decode()
    assert "You may sign the new version below, but you do not have to." in (
        patient_client.get("/screening/consent/").content.decode()
    )

    publish_new(clinician, material=True)
    page = patient_client.get("/me/").content.decode()
    assert "The clinic changed the consent form: please sign again" in page
    consent_page = patient_client.get("/screening/consent/").content.decode()
    assert "The clinic changed the consent form." in consent_page and "Version 3" in consent_page

    patient_client.post("/screening/consent/", SIGN)
    assert list(Consent.objects.filter(patient=patient).order_by("version__number").values_list("version__number", flat=True)) == [1, 3]
    assert "Signed version 3 on" in patient_client.get("/me/").content.decode()
    assert "You have signed this version." in patient_client.get("/screening/consent/").content.decode()


# --- The clinic tablet -------------------------------------------------------------------


def test_front_desk_records_a_signature_the_patient_types_on_the_tablet(front_desk_client, front_desk):
    carol = PatientFactory(first_name="Carol", last_name="Cruz")
    url = f"/screening/consent/patient/{carol.pk}/sign/"
    page = front_desk_client.get(url).content.decode()
    assert "Not signed yet. An infusion cannot start until the patient signs." in page
    assert "not approved by the FDA" in page
    assert AuditEvent.objects.filter(action="consent.view", actor=front_desk, patient=carol).exists()

    response = front_desk_client.post(url, {"signed_name": "Carol Cruz", "agree": "on"})
    assert response.status_code == 302 and response["Location"] == url
    consent = Consent.objects.get(patient=carol)
    assert consent.method == Consent.Method.CLINIC and consent.recorded_by == front_desk
    assert AuditEvent.objects.filter(action="consent.signed.clinic", actor=front_desk, patient=carol).exists()

    page = front_desk_client.get(url).content.decode()
    assert "Signed: version 1" in page
    assert "Signed on a clinic tablet" in page and "Fran Front" in page
    assert f'href="/screening/consent/{consent.pk}/"' in page


def test_the_tablet_refuses_another_name_and_keeps_the_form(clinician_client):
    carol = PatientFactory(first_name="Carol", last_name="Cruz")
    response = clinician_client.post(
        f"/screening/consent/patient/{carol.pk}/sign/", {"signed_name": "Dana Cole", "agree": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Type the full name the clinic has for this patient: Carol Cruz." in page
    assert 'value="Dana Cole"' in page
    assert not Consent.objects.exists()


def test_patients_cannot_use_the_tablet_page(patient_client, other_patient):
    url = f"/screening/consent/patient/{other_patient.pk}/sign/"
    assert patient_client.get(url).status_code == 403
    assert patient_client.post(url, {"signed_name": "Bob Baker", "agree": "on"}).status_code == 403
    assert not Consent.objects.exists()


def test_an_unknown_patient_on_the_tablet_is_a_404(front_desk_client):
    assert front_desk_client.get("/screening/consent/patient/999999/sign/").status_code == 404


# --- The clinic edits the form (admin, as the guide) --------------------------------------


def _draft_data(**overrides):
    data = {"title": "Consent to ketamine infusion treatment", "body": consent_version_current().body,
            "material": "on", "changes": "Clearer words about the ride home."}
    data.update(overrides)
    return data


def test_a_clinician_drafts_previews_and_publishes_a_new_version(clinician_client, clinician):
    form = clinician_client.get("/admin/screening/consentversion/add/")
    assert form.status_code == 200 and "not approved by the FDA" in form.content.decode()
    response = clinician_client.post("/admin/screening/consentversion/add/", _draft_data())
    assert response.status_code == 302
    draft = ConsentVersion.objects.get(number=2)
    assert not draft.is_published and consent_version_current().number == 1

    # A second "add" goes back to the open draft rather than starting another.
    again = clinician_client.get("/admin/screening/consentversion/add/")
    assert again.status_code == 302 and again["Location"].endswith(f"/consentversion/{draft.pk}/change/")

    preview = clinician_client.get(f"/admin/screening/consentversion/{draft.pk}/preview/").content.decode()
    assert "Draft preview: version 2." in preview and "Clearer words about the ride home." in preview
    clinician_client.post(f"/admin/screening/consentversion/{draft.pk}/publish/")
    assert consent_version_current() == draft
    assert AuditEvent.objects.filter(action="consent.published", actor=clinician).exists()

    history = clinician_client.get("/admin/screening/consentversion/").content.decode()
    assert "Current" in history and "Clearer words about the ride home." in history


def test_a_published_version_is_read_only_in_the_admin(clinician_client):
    version = consent_version_current()
    url = f"/admin/screening/consentversion/{version.pk}/change/"
    response = clinician_client.post(url, _draft_data(body="Something else entirely."))
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.body != "Something else entirely."
    assert clinician_client.post(f"/admin/screening/consentversion/{version.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_draft_without_what_changed_is_not_published(clinician_client):
    clinician_client.post("/admin/screening/consentversion/add/", _draft_data(changes=""))
    draft = ConsentVersion.objects.get(number=2)
    response = clinician_client.post(f"/admin/screening/consentversion/{draft.pk}/publish/", follow=True)
    assert "Say what changed" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published


def test_a_draft_with_control_characters_is_refused(clinician_client):
    response = clinician_client.post("/admin/screening/consentversion/add/", _draft_data(body="Text\x00here"))
    assert response.status_code == 200
    assert not ConsentVersion.objects.filter(number=2).exists()


def test_front_desk_cannot_edit_the_form(front_desk_client):
    assert front_desk_client.get("/admin/screening/consentversion/add/").status_code == 403
    version = consent_version_current()
    assert front_desk_client.post(f"/admin/screening/consentversion/{version.pk}/publish/").status_code == 403



def test_the_staff_session_page_says_whether_the_patient_signed_and_links_to_the_tablet(front_desk_client, patient):
    from tests.factories import SessionFactory

    session = SessionFactory(patient=patient)
    url = f"/staff/sessions/{session.pk}/"
    page = front_desk_client.get(url).content.decode()
    assert "Not signed: the infusion cannot start until the patient signs." in page
    assert f'href="/screening/consent/patient/{patient.pk}/sign/">Sign on the clinic tablet' in page
    consent_sign(patient=patient, signed_name="Alice Archer")
    page = front_desk_client.get(url).content.decode()
    assert 'data-consent="signed">Signed version 1 on' in page


def test_the_emailed_copy_names_the_signing_time_in_the_clinics_zone(patient, django_capture_on_commit_callbacks):
    with time_machine.travel(dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            consent_sign(patient=patient, signed_name="Alice Archer")
    (message,) = mail.outbox
    assert "Signed by Alice Archer on December 2, 2026, 10:00 PM." in message.body
    assert "December 2, 2026, 10:00 PM" in message.alternatives[0][0]


def test_the_tablet_page_lists_signatures_in_a_constant_number_of_queries(
    front_desk_client, clinician, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    carol = PatientFactory(first_name="Carol", last_name="Cruz")
    url = f"/screening/consent/patient/{carol.pk}/sign/"
    consent_sign(patient=carol, signed_name="Carol Cruz", recorded_by=clinician)
    front_desk_client.get(url)  # warm the session and the clinic's settings
    with CaptureQueriesContext(connection) as one:
        front_desk_client.get(url)
    for _ in range(3):
        publish_new(clinician, material=True)
        consent_sign(patient=carol, signed_name="Carol Cruz", recorded_by=clinician)
    with django_assert_num_queries(len(one.captured_queries)):
        response = front_desk_client.get(url)
    assert response.content.decode().count("Signed on a clinic tablet") == 4
