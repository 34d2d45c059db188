"""Security review #5: a patient could answer a review-point PHQ-9 days before its session,
and the answer was final. A review point opens once its session has ended."""

import pytest
from django.core.exceptions import ValidationError

from symptoms.models import SymptomReview
from symptoms.services import phq9_record

ANSWERS = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def test_the_service_refuses_a_review_point_still_ahead(patient, review_session):
    session = review_session(patient, ended_days_ago=-3)
    with pytest.raises(ValidationError) as refused:
        phq9_record(patient=patient, answers=ANSWERS, session=session)
    assert refused.value.error_list[0].code == "not_yet"
    assert "opens when your session" in refused.value.messages[0]
    assert not SymptomReview.objects.exists()


def test_the_page_sends_the_patient_back_until_the_session_ends(patient_client, patient, review_session):
    session = review_session(patient, ended_days_ago=-3)
    page = patient_client.get(f"/symptoms/answer/{session.pk}/")
    assert page.status_code == 302 and page["Location"] == "/symptoms/"
    posted = patient_client.post(f"/symptoms/answer/{session.pk}/", {f"item_{n}": "1" for n in range(1, 10)})
    assert posted.status_code == 302 and posted["Location"] == "/symptoms/"
    assert not SymptomReview.objects.exists()


def test_once_the_session_has_ended_the_review_is_taken(patient, review_session):
    session = review_session(patient, ended_days_ago=0.01)
    review = phq9_record(patient=patient, answers=ANSWERS, session=session)
    assert review.session == session
