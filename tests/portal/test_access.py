import pytest
import time_machine
from django.utils import timezone

from portal.models import AuditEvent


def test_me_needs_a_signed_in_patient(client, db):
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_cannot_open_me_and_patients_cannot_open_staff(front_desk_client, db):
    assert front_desk_client.get("/me/").status_code == 403


def test_a_patient_gets_403_on_the_staff_dashboard(patient_client):
    response = patient_client.get("/staff/")
    assert response.status_code == 403
    assert "not available to you" in response.content.decode()


def test_me_shows_only_the_signed_in_patients_own_record(patient_client, patient, other_patient):
    body = patient_client.get("/me/").content.decode()
    assert patient.first_name in body
    assert other_patient.first_name not in body


def test_sign_in_sends_each_role_to_its_start_page(client, patient, front_desk, clinician, password):
    for user, target in [(patient.user, "/me/"), (front_desk, "/staff/"), (clinician, "/staff/")]:
        client.post("/accounts/login/", {"username": user.email, "password": password})
        response = client.get("/accounts/after-login/")
        assert response["Location"] == target
        client.logout()


def test_repeated_failures_lock_that_email_on_that_address_only(client, patient, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": patient.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = client.post("/accounts/login/", {"username": patient.email, "password": password}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in paused" in body and "Reset your password" in body
    # The patient, signing in from their own address, is not locked out by someone else's guesses.
    response = client.post("/accounts/login/", {"username": patient.email, "password": password}, REMOTE_ADDR="10.0.0.10")
    assert response.status_code == 302


def test_an_idle_session_is_signed_out_with_a_message(patient_client, settings):
    assert patient_client.get("/me/").status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 5)):
        response = patient_client.get("/me/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/")
    assert "signed out after 15 minutes" in response.content.decode()


def test_activity_keeps_the_session_alive(patient_client, settings):
    start = timezone.now()
    for minutes in (10, 20, 30):
        with time_machine.travel(start + timezone.timedelta(minutes=minutes)):
            assert patient_client.get("/me/").status_code == 200


def test_the_session_has_an_absolute_lifetime(patient_client, settings):
    start = timezone.now()
    step = timezone.timedelta(minutes=10)
    t = start
    with time_machine.travel(t) as traveller:
        while t - start <= timezone.timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME):
            t += step
            traveller.move_to(t)
            response = patient_client.get("/me/")
        assert response.status_code == 302


def test_keepalive_resets_the_idle_clock_and_refuses_get(patient_client):
    assert patient_client.get("/accounts/keepalive/").status_code == 405
    response = patient_client.post("/accounts/keepalive/", HTTP_ACCEPT="application/json")
    assert response.json() == {"signed_in": True}


def test_keepalive_never_redirects_off_site(patient_client):
    response = patient_client.post("/accounts/keepalive/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_audit_admin_is_readable_by_clinicians_and_editable_by_nobody(clinician_client, clinician):
    from portal.services import audit_record

    event = audit_record(actor=clinician, action="screening.view")
    assert clinician_client.get("/admin/portal/auditevent/").status_code == 200
    response = clinician_client.post(f"/admin/portal/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("path", ["/admin/portal/auditevent/"])
def test_front_desk_cannot_read_the_audit_trail(front_desk_client, path):
    assert front_desk_client.get(path).status_code in (302, 403)
