"""The reviews moved from /screening/symptoms/ to /symptoms/: every old address
(in emails, bookmarks, browser history) answers a permanent redirect to the same
page, query string kept, and the page there checks access as before."""

import pytest

from symptoms.models import SymptomReview
from symptoms.services import phq9_record

pytestmark = pytest.mark.django_db

OLD_TO_NEW = [
    ("/screening/symptoms/", "/symptoms/"),
    ("/screening/symptoms/answer/", "/symptoms/answer/"),
    ("/screening/symptoms/answer/12/", "/symptoms/answer/12/"),
    ("/screening/symptoms/34/", "/symptoms/34/"),
    ("/screening/symptoms/patient/56/", "/symptoms/patient/56/"),
    ("/screening/symptoms/alerts/78/review/", "/symptoms/alerts/78/review/"),
    ("/screening/symptoms/patient/56/?tab=alerts&x=%2F", "/symptoms/patient/56/?tab=alerts&x=%2F"),
]


@pytest.mark.parametrize(("old", "new"), OLD_TO_NEW)
def test_every_old_address_is_a_permanent_redirect_to_the_same_page_under_symptoms(client, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_the_old_address_without_its_slash_still_lands_on_the_new_page(client):
    first = client.get("/screening/symptoms")
    assert (first.status_code, first["Location"]) == (301, "/screening/symptoms/")
    assert client.get(first["Location"])["Location"] == "/symptoms/"


def test_a_redirect_never_leaves_the_symptoms_pages(client):
    for old in ("/screening/symptoms//evil.example/", "/screening/symptoms/%2F%2Fevil.example", "/screening/symptoms/a?b"):
        assert client.get(old)["Location"].startswith("/symptoms/")
    assert client.get("/screening/symptoms/a%3Fb")["Location"] == "/symptoms/a%3Fb"


def test_the_redirect_reaches_a_page_that_still_checks_who_asks(client, patient, other_patient):
    review = phq9_record(patient=patient, answers=[0] * 9)
    client.force_login(other_patient.user)
    assert client.get(f"/screening/symptoms/{review.pk}/", follow=True).status_code == 404
    client.force_login(patient.user)
    response = client.get(f"/screening/symptoms/{review.pk}/", follow=True)
    assert response.redirect_chain == [(f"/symptoms/{review.pk}/", 301)]
    assert response.status_code == 200


def test_answers_posted_from_a_page_opened_before_the_move_keep_their_method(patient_client):
    """308, not 301: a browser repeats the POST (its body and CSRF token) at the new address
    instead of turning it into a GET that would drop the patient's answers."""
    answers = {f"item{n}": "1" for n in range(1, 10)}
    response = patient_client.post("/screening/symptoms/answer/", answers)
    assert (response.status_code, response["Location"]) == (308, "/symptoms/answer/")
    assert not SymptomReview.objects.exists()
    patient_client.post(response["Location"], answers)
    assert SymptomReview.objects.get().total == 9
