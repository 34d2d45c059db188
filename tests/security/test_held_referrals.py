"""Security review #2: an anonymous screening sent with an existing patient's email (any case)
attached itself to that patient (their /me/, their name on clinicians' lists, a clearance on it
applied to them), and whoever sent first fixed the name and phone. Now it is held on a record of
its own until staff reconcile it side by side or the email's owner confirms it by a link."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from portal.models import AuditEvent, Patient, Role
from screening.models import Condition, Screening
from screening.services import (
    checklist_version_current,
    clearance_record,
    referral_owner_confirm,
    referral_reconcile,
    screening_submit,
)
from tests.factories import PatientWithAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(db):
    return checklist_version_current()


@pytest.fixture
def all_no(db):
    return {code: "no" for code in Condition.objects.enabled().values_list("code", flat=True)}


@pytest.fixture
def alice(db):
    return PatientWithAccountFactory(first_name="Alice", last_name="Archer", email="alice@example.com",
                                     phone="(555) 010-1111")


def send_as_stranger(version, answers, *, key="k1", first="Mallory", last="Moss", email="ALICE@example.com",
                     phone="(555) 010-9999"):
    return screening_submit(answers=answers, version=version, submission_key=key, consent=True,
                            first_name=first, last_name=last, email=email, phone=phone)


def link_in(message) -> str:
    return re.search(r"http\S+/screening/confirm/(\S+)/", message.body).group(1)


def test_the_attack_no_longer_reaches_the_record_on_file(client, alice, version, all_no,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        screening = send_as_stranger(version, all_no | {"epilepsy": "yes"})
    alice.refresh_from_db()
    assert screening.patient != alice and screening.patient.held_for == alice
    assert (alice.first_name, alice.phone) == ("Alice", "(555) 010-1111")  # nothing fixed by the stranger
    assert not alice.screenings.exists()
    client.force_login(alice.user)
    assert "Self-screening of" not in client.get("/me/").content.decode()
    # The confirmation goes to the address's owner without repeating the typed name.
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Mallory" not in message.body and "Mallory" not in message.alternatives[0][0]
    assert "Mallory" not in message.subject


def test_a_clinician_cannot_clear_a_held_referral_before_it_is_reconciled(alice, version, all_no):
    screening = send_as_stranger(version, all_no)
    with pytest.raises(ValidationError, match="same person"):
        clearance_record(patient=screening.patient, clinician=UserFactory(role=Role.CLINICIAN))
    assert not alice.clearances.exists()


def test_staff_see_both_versions_side_by_side_and_reconcile(client, alice, version, all_no):
    screening = send_as_stranger(version, all_no)
    desk = UserFactory(role=Role.FRONT_DESK)
    client.force_login(desk)
    page = client.get(f"/screening/{screening.pk}/").content.decode()
    assert "Mallory Moss" in page and "Alice Archer" in page and "(555) 010-9999" in page
    response = client.post(f"/screening/{screening.pk}/reconcile/", {"same_person": "no"})
    assert response.status_code == 302
    screening.refresh_from_db()
    held = screening.patient
    assert held.held_for is None and held.email == "" and held.first_name == "Mallory"
    assert AuditEvent.objects.filter(action="referral.reconciled.other", actor=desk).exists()
    # Reconciled once; the second answer is refused with a message, nothing changed.
    with pytest.raises(ValidationError, match="already reconciled"):
        referral_reconcile(screening=screening, by=desk, same_person=True)
    assert screening.patient.pk == held.pk


def test_staff_say_same_person_and_the_screening_joins_the_record_unchanged(alice, version, all_no):
    screening = send_as_stranger(version, all_no, first="alice", last="ARCHER", phone="")
    referral_reconcile(screening=screening, by=UserFactory(role=Role.CLINICIAN), same_person=True)
    screening.refresh_from_db()
    alice.refresh_from_db()
    assert screening.patient == alice and alice.first_name == "Alice" and alice.phone == "(555) 010-1111"


def test_the_owner_confirms_by_link_with_a_post_not_a_get(client, alice, version, all_no,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        screening = send_as_stranger(version, all_no, first="Alice", last="Archer")
    token = link_in(mail.outbox[0])
    assert client.get(f"/screening/confirm/{token}/").status_code == 200
    screening.refresh_from_db()
    assert screening.patient != alice  # a mail scanner opening the link confirms nothing
    assert client.post(f"/screening/confirm/{token}/").status_code == 200
    screening.refresh_from_db()
    assert screening.patient == alice
    assert client.post(f"/screening/confirm/{token}/").status_code == 404  # one use


def test_an_owner_confirmation_with_another_name_goes_to_staff(alice, version, all_no,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        screening = send_as_stranger(version, all_no)
    found, joined = referral_owner_confirm(token=link_in(mail.outbox[0]))
    assert found == screening and not joined
    screening.refresh_from_db()
    assert screening.patient.held_for == alice and screening.owner_confirmed_at is not None


@pytest.mark.parametrize("token", ["", "x" * 500, "nope", "%00"])
def test_a_wrong_link_is_a_404_and_changes_nothing(client, token, alice, version, all_no):
    send_as_stranger(version, all_no)
    if token:
        assert client.post(f"/screening/confirm/{token}/").status_code == 404
    assert referral_owner_confirm(token=token) == (None, False)
    assert Screening.objects.filter(patient__held_for=alice).count() == 1


def test_first_sender_cannot_fix_the_details_of_a_later_genuine_sender(version, all_no):
    first = send_as_stranger(version, all_no, email="new@example.com")  # no record yet: a new patient
    genuine = send_as_stranger(version, all_no, key="k2", first="Nina", last="Novak", email="new@example.com")
    assert genuine.patient != first.patient
    assert (genuine.patient.first_name, genuine.patient.held_for) == ("Nina", first.patient)
    assert Patient.objects.with_email("new@example.com").get() == first.patient


def test_a_forged_decision_on_a_held_referral_is_refused_with_a_message_not_a_500(client, alice, version, all_no):
    screening = send_as_stranger(version, all_no)
    client.force_login(UserFactory(role=Role.CLINICIAN))
    response = client.post(f"/screening/{screening.pk}/decide/", {"decision": "cleared", "note": ""})
    assert response.status_code == 200
    assert "same person" in response.content.decode()
    assert not alice.clearances.exists() and not screening.patient.clearances.exists()
