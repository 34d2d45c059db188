"""The PHQ-9's optional tenth question (clinical review, issue 16): asked last, may be skipped,
never scored, kept with the response and shown on its result."""

import pytest
from django.core.exceptions import ValidationError

from symptoms.models import SymptomReview
from symptoms.services import phq9_record

pytestmark = pytest.mark.django_db


def _post(answers, **extra):
    return {f"item{n}": str(v) for n, v in enumerate(answers, start=1)} | extra


def test_the_tenth_question_is_asked_last_and_marked_optional(patient_client):
    html = patient_client.get("/symptoms/answer/").content.decode()
    assert html.count("data-item=") == 9
    assert "how difficult have these problems made it" in html and "(optional)" in html
    assert html.index("data-difficulty") > html.index('data-item="9"')


def test_an_answer_is_kept_and_shown_but_not_scored(patient_client, patient):
    response = patient_client.post("/symptoms/answer/", _post([1] * 9, difficulty="very"))
    review = SymptomReview.objects.get(patient=patient)
    assert (review.total, review.difficulty) == (9, "very")
    assert "How difficult these problems made daily life: Very difficult." in patient_client.get(response.url).content.decode()


def test_it_may_be_skipped(patient_client, patient):
    patient_client.post("/symptoms/answer/", _post([0] * 9))
    assert SymptomReview.objects.get(patient=patient).difficulty == ""


def test_a_made_up_answer_is_refused_with_the_form_kept_and_nothing_stored(patient_client, patient):
    response = patient_client.post("/symptoms/answer/", _post([2] * 9, difficulty="<b>awful</b>"))
    html = response.content.decode()
    assert response.status_code == 200 and "Choose one of the answers to the last question" in html
    assert 'id="item1-2" value="2" checked' in html
    assert not SymptomReview.objects.exists()
    with pytest.raises(ValidationError):
        phq9_record(patient=patient, answers=[0] * 9, difficulty="maybe")
