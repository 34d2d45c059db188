import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal import services
from portal.models import AuditEvent, Invitation, Patient, Role, User
from tests.factories import PASSWORD, PatientFactory, UserFactory


def test_patient_register_creates_a_record_without_an_account(db):
    patient = services.patient_register(first_name="Ann", last_name="Lee", email="Ann@Example.com", phone="555 010 0123")
    assert patient.pk and patient.user is None
    assert patient.email == "ann@example.com"


def test_patient_register_returns_the_existing_record_for_the_same_email(db):
    first = services.patient_register(first_name="Ann", last_name="Lee", email="ann@example.com")
    again = services.patient_register(first_name="Someone", last_name="Else", email="ANN@example.com ")
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.first_name == "Ann", "a second registration must not overwrite the record"
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"first_name": "", "last_name": "Lee", "email": "a@example.com"}, "first_name"),
        ({"first_name": "Ann", "last_name": "Lee", "email": "not-an-email"}, "email"),
        ({"first_name": "Ann", "last_name": "Lee", "email": "", "phone": ""}, "email"),
        ({"first_name": "Ann", "last_name": "Lee", "email": "a@example.com", "phone": "call me"}, "phone"),
    ],
)
def test_patient_register_refuses_bad_input_and_writes_nothing(db, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.patient_register(**kwargs)
    assert field in exc.value.message_dict
    assert Patient.objects.count() == 0


def test_patient_register_refuses_a_birth_date_in_the_future(db):
    with pytest.raises(ValidationError):
        services.patient_register(
            first_name="Ann", last_name="Lee", email="a@example.com", date_of_birth=timezone.localdate().replace(year=timezone.localdate().year + 1)
        )


def test_staff_create_gives_the_role_group(db):
    user = services.staff_create(email="desk@clinic.example", role="front_desk", password="a-long-enough-pass-123")
    assert user.has_role(Role.FRONT_DESK) and not user.is_clinician
    assert user.check_password("a-long-enough-pass-123")


def test_staff_create_refuses_an_unknown_role_and_a_duplicate_email(db, front_desk):
    with pytest.raises(ValidationError):
        services.staff_create(email="x@clinic.example", role="patient")
    with pytest.raises(ValidationError):
        services.staff_create(email=front_desk.email.upper(), role="clinician")
    assert User.objects.count() == 1


def test_an_invitation_link_creates_the_account_once(client, front_desk):
    patient = PatientFactory(email="newpatient@example.com")
    services.patient_invite(patient=patient, invited_by=front_desk)
    assert len(mail.outbox) == 1
    link = re.search(r"http\S+/accounts/invite/\S+/", mail.outbox[0].body).group(0)
    path = link.split("8000", 1)[-1] if "8000" in link else link
    response = client.get(path)
    assert response.status_code == 200
    response = client.post(path, {"password1": "a-good-long-password", "password2": "a-good-long-password"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    patient.refresh_from_db()
    assert patient.user.email == "newpatient@example.com"
    assert patient.user.has_role(Role.PATIENT)
    client.logout()
    assert client.get(path).status_code == 404, "an invitation works only once"


def test_an_expired_invitation_is_refused(client, front_desk):
    patient = PatientFactory()
    services.patient_invite(patient=patient, invited_by=front_desk)
    path = "/accounts/invite/" + re.search(r"/accounts/invite/(\S+)/", mail.outbox[0].body).group(1) + "/"
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        response = client.get(path)
    assert response.status_code == 404
    assert "does not work" in response.content.decode()


def test_only_staff_can_invite(patient, other_patient):
    target = PatientFactory()
    with pytest.raises(PermissionDenied):
        services.patient_invite(patient=target, invited_by=patient.user)
    assert not Invitation.objects.exists()


def test_there_is_no_open_sign_up(client, db):
    assert client.get("/accounts/signup/").status_code == 404
    assert client.get("/accounts/register/").status_code == 404


def test_password_reset_sends_an_email(client, patient):
    response = client.post("/accounts/password_reset/", {"email": patient.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_audit_events_cannot_be_changed_or_deleted(db, clinician):
    event = services.audit_record(actor=clinician, action="test.view")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_the_database_refuses_to_rewrite_the_audit_trail(db, clinician):
    from django.db import DatabaseError, transaction

    services.audit_record(actor=clinician, action="test.view")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="tampered")
    assert AuditEvent.objects.filter(action="test.view").exists()


def test_registering_a_patient_is_audited(db, front_desk):
    patient = services.patient_register(first_name="Ann", last_name="Lee", email="ann@example.com", registered_by=front_desk)
    event = AuditEvent.objects.get(action="patient.register")
    assert event.patient == patient and event.actor == front_desk


def test_production_hashes_passwords_with_argon2id_and_upgrades_older_hashes(client, db, settings):
    from django.contrib.auth.hashers import make_password

    from portal import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = UserFactory(email="old-hash@example.com")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = client.post("/accounts/login/", {"username": "old-hash@example.com", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=47104,t=1,p=1$")
    assert user.check_password(PASSWORD)


def test_the_plain_text_invitation_shows_a_name_as_typed(front_desk):
    patient = PatientFactory(first_name="Zoë O'Brien & <Sam>", email="zoe@example.com")
    services.patient_invite(patient=patient, invited_by=front_desk)
    body = mail.outbox[0].body
    assert "Hello Zoë O'Brien & <Sam>," in body
    assert "&#x27;" not in body and "&amp;" not in body
