import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Patient
from screening.models import Condition, Screening
from screening.services import checklist_version_current, screening_submit
from tests.screening.helpers import CONTACT, walk_checklist

pytestmark = pytest.mark.django_db


def test_with_consent_the_screening_is_stored_with_the_wording_shown_and_a_confirmation_is_emailed(
    client, all_no, django_capture_on_commit_callbacks
):
    walk_checklist(client, all_no | {"epilepsy": "unsure"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/screening/send/", CONTACT)
    assert response.url == "/screening/sent/"
    screening = Screening.objects.get()
    assert screening.patient.email == "carol@example.com"
    assert screening.outcome == "review"
    assert screening.flagged == ["epilepsy"]
    assert screening.version == checklist_version_current()
    epilepsy = next(item for item in screening.answers if item["code"] == "epilepsy")
    assert epilepsy == {
        "code": "epilepsy",
        "question": "Do you have epilepsy or seizures?",
        "term": "Epilepsy (risk of inducing status epilepticus)",
        "answer": "unsure",
    }
    assert len(screening.answers) == 26
    # The confirmation, then the one-time link to make a portal account.
    assert len(mail.outbox) == 2
    assert "/accounts/invite/" in mail.outbox[1].body and mail.outbox[1].to == ["carol@example.com"]
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    assert "What happens next" in message.body
    assert message.alternatives[0][1] == "text/html"
    html = client.get("/screening/sent/").content.decode()
    assert "What happens next" in html


def test_without_consent_nothing_is_stored_and_the_form_comes_back(client, all_no):
    walk_checklist(client, all_no)
    response = client.post("/screening/send/", CONTACT | {"consent": ""})
    assert response.status_code == 200
    assert "nothing is sent" in response.content.decode()
    assert Screening.objects.count() == 0
    assert Patient.objects.count() == 0
    # The anonymous result is still in the session.
    assert client.get("/screening/result/").status_code == 200


def test_the_service_refuses_without_consent(all_no, version):
    with pytest.raises(ValidationError):
        screening_submit(answers=all_no, version=version, submission_key="k1", consent=False,
                         first_name="A", last_name="B", email="a@example.com")
    assert Screening.objects.count() == 0


def test_sending_again_with_the_same_email_is_held_apart_never_merged(client, all_no):
    # Security review #2: an anonymous screening never lands on the record that owns the email.
    walk_checklist(client, all_no)
    client.post("/screening/send/", CONTACT)
    walk_checklist(client, all_no | {"epilepsy": "yes"})
    client.post("/screening/send/", CONTACT | {"email": "CAROL@example.com"})
    on_file = Patient.objects.get(held_for__isnull=True)
    assert Screening.objects.filter(patient=on_file).count() == 1
    held = Patient.objects.get(held_for=on_file)
    assert held.screenings.get().flagged == ["epilepsy"]


def test_a_replayed_final_step_stores_nothing_more(client, all_no):
    walk_checklist(client, all_no)
    client.post("/screening/send/", CONTACT)
    response = client.post("/screening/send/", CONTACT, follow=True)
    assert response.status_code == 200
    assert "already sent" in response.content.decode()
    assert Screening.objects.count() == 1


def test_the_same_submission_key_twice_is_refused_by_the_database_with_a_clear_message(all_no, version):
    kwargs = dict(answers=all_no, version=version, submission_key="same", consent=True,
                  first_name="A", last_name="B", email="a@example.com")
    screening_submit(**kwargs)
    with pytest.raises(ValidationError, match="already sent"):
        screening_submit(**kwargs)
    assert Screening.objects.count() == 1


def test_a_missing_answer_is_refused_and_nothing_is_half_stored(all_no, version):
    answers = dict(all_no)
    answers.pop("epilepsy")
    with pytest.raises(ValidationError, match="answer every question"):
        screening_submit(answers=answers, version=version, submission_key="k2", consent=True,
                         first_name="A", last_name="B", email="a@example.com")
    assert Patient.objects.count() == 0
    assert Screening.objects.count() == 0


def test_tampered_session_answers_are_refused_with_a_message_not_a_500(client, all_no):
    walk_checklist(client, all_no)
    session = client.session
    session["screening"]["answers"]["epilepsy"] = "maybe"
    session.save()
    response = client.post("/screening/send/", CONTACT, follow=True)
    assert response.status_code == 200
    assert Screening.objects.count() == 0


def test_sending_without_finishing_the_checklist_goes_back_to_the_missing_step(client):
    response = client.post("/screening/send/", CONTACT, follow=True)
    assert response.redirect_chain[-1][0] == "/screening/step/1/"
    assert Screening.objects.count() == 0


def test_contact_details_are_required(client, all_no):
    walk_checklist(client, all_no)
    response = client.post("/screening/send/", CONTACT | {"email": "", "phone": "", "date_of_birth": "2999-01-01"})
    html = response.content.decode()
    assert "Enter an email address or a phone number" in html
    assert "Enter a date of birth in the past." in html
    assert Screening.objects.count() == 0


def _submit_queries(all_no, version, key):
    with CaptureQueriesContext(connection) as queries:
        screening_submit(answers=all_no, version=version, submission_key=key, consent=True,
                         first_name="A", last_name="B", email=f"{key}@example.com")
    return len(queries)


def test_sending_costs_the_same_number_of_queries_whatever_the_number_of_conditions(all_no, version):
    full = _submit_queries(all_no, version, "full")
    Condition.objects.filter(source="common practice").update(enabled=False)
    smaller = checklist_version_current()
    assert len(smaller.codes) == 22
    fewer = _submit_queries({c: "no" for c in smaller.codes}, smaller, "fewer")
    assert full == fewer
    assert full <= 10


def test_anonymous_submissions_are_rate_limited_per_address_with_a_friendly_page(client, all_no, settings):
    settings.SCREENING_SUBMISSIONS_PER_HOUR = 2
    walk_checklist(client, all_no)
    for _ in range(2):
        assert client.post("/screening/send/", CONTACT | {"consent": ""}).status_code == 200
    response = client.post("/screening/send/", CONTACT)
    assert response.status_code == 429
    assert "Please try again later" in response.content.decode()
    assert Screening.objects.count() == 0
    other = client.post("/screening/send/", CONTACT, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_a_signed_in_patients_screening_goes_on_their_own_record(patient_client, patient, all_no):
    walk_checklist(patient_client, all_no)
    form = patient_client.get("/screening/result/").content.decode()
    assert 'value="alice@example.com"' in form
    patient_client.post("/screening/send/", CONTACT | {"email": "typo@example.com"})
    assert Screening.objects.get().patient == patient
    assert Patient.objects.filter(email="typo@example.com").count() == 0


def test_a_second_referral_does_not_send_a_second_invitation(client, all_no, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    for _ in range(2):
        walk_checklist(client, all_no)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/screening/send/", CONTACT)
        cache.clear()
    invitations = [m for m in mail.outbox if "/accounts/invite/" in m.body]
    assert len(invitations) == 1
