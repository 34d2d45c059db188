import pytest

from portal.models import AuditEvent
from symptoms.models import SafetyAlert, SymptomReview
from symptoms.services import phq9_record

pytestmark = pytest.mark.django_db

CRISIS = ("988", "911")


def _post(answers):
    return {f"item{n}": str(v) for n, v in enumerate(answers, start=1)}


def test_the_questionnaire_shows_nine_questions_and_the_crisis_resources(patient_client):
    html = patient_client.get("/symptoms/answer/").content.decode()
    assert html.count("data-item=") == 9
    assert "Little interest or pleasure in doing things" in html
    assert 'data-loinc="44260-8"' in html
    for text in CRISIS:
        assert text in html


def test_answering_the_baseline_stores_it_and_shows_the_result_with_crisis_resources_and_chart(patient_client, patient):
    response = patient_client.post("/symptoms/answer/", _post([2, 2, 2, 2, 2, 0, 0, 0, 0]))
    review = SymptomReview.objects.get(patient=patient, session=None)
    assert response.url == f"/symptoms/{review.pk}/"
    html = patient_client.get(response.url).content.decode()
    assert "10 out of 27 (moderate)" in html
    assert "<svg" in html and "<table" in html
    for text in CRISIS:
        assert text in html


def test_a_missing_answer_gets_the_form_back_and_stores_nothing(patient_client):
    data = _post([1] * 9)
    del data["item4"]
    response = patient_client.post("/symptoms/answer/", data | {"item2": "7"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Question 2 has no answer yet." in html and "Question 4 has no answer yet." in html
    assert not SymptomReview.objects.exists()


def test_a_second_submission_for_the_same_review_point_tells_the_patient_the_first_stands(patient_client, patient, review_session):
    session = review_session(patient)
    url = f"/symptoms/answer/{session.pk}/"
    patient_client.post(url, _post([2] * 9))
    response = patient_client.post(url, _post([0] * 9), follow=True)
    assert "Your first answers stand." in response.content.decode()
    assert SymptomReview.objects.get().total == 18


def test_a_session_of_another_patient_is_404(patient_client, other_patient, review_session):
    session = review_session(other_patient)
    assert patient_client.post(f"/symptoms/answer/{session.pk}/", _post([0] * 9)).status_code == 404
    assert not SymptomReview.objects.exists()


def test_another_patients_result_is_404(other_patient_client, patient):
    review = phq9_record(patient=patient, answers=[1] * 9)
    assert other_patient_client.get(f"/symptoms/{review.pk}/").status_code == 404


def test_the_patients_page_lists_review_points_and_what_is_due(patient_client, patient, review_session):
    review_session(patient, ended_days_ago=5)
    html = patient_client.get("/symptoms/").content.decode()
    assert "Answer the starting questionnaire now" in html
    assert "overdue" in html
    me = patient_client.get("/me/").content.decode()
    assert "My symptom reviews" in me


def test_a_clinician_sees_the_alert_on_the_dashboard_and_clears_it_with_a_note(clinician_client, clinician, patient):
    phq9_record(patient=patient, answers=[1] * 8 + [2])
    dashboard = clinician_client.get("/staff/").content.decode()
    assert "item-9 alert" in dashboard
    assert dashboard.index("item-9 alert") < dashboard.index("New referrals")
    chart = clinician_client.get(f"/symptoms/patient/{patient.pk}/")
    assert "Record review and close the alert" in chart.content.decode()
    assert AuditEvent.objects.filter(actor=clinician, action="symptom_review.view", patient=patient).exists()
    alert = SafetyAlert.objects.get()
    refused = clinician_client.post(f"/symptoms/alerts/{alert.pk}/review/", {"note": ""})
    assert refused.status_code == 200
    assert SafetyAlert.objects.open().count() == 1
    clinician_client.post(f"/symptoms/alerts/{alert.pk}/review/", {"note": "Called; safety plan agreed."})
    assert SafetyAlert.objects.open().count() == 0
    assert "item-9 alert" not in clinician_client.get("/staff/").content.decode()


def test_front_desk_sees_that_a_review_is_done_but_not_the_answers(front_desk_client, patient):
    phq9_record(patient=patient, answers=[3, 2, 1, 0, 0, 0, 0, 0, 1])
    response = front_desk_client.get(f"/symptoms/patient/{patient.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="done"' in html
    assert "<svg" not in html
    assert "44250-9" not in html
    assert "item-9 alert" not in front_desk_client.get("/staff/").content.decode()


def test_front_desk_cannot_close_an_alert(front_desk_client, patient):
    phq9_record(patient=patient, answers=[0] * 8 + [1])
    alert = SafetyAlert.objects.get()
    assert front_desk_client.post(f"/symptoms/alerts/{alert.pk}/review/", {"note": "x"}).status_code == 403
    assert SafetyAlert.objects.open().count() == 1


def test_patients_cannot_open_the_staff_chart(patient_client, patient):
    assert patient_client.get(f"/symptoms/patient/{patient.pk}/").status_code == 403


def test_the_staff_chart_costs_a_fixed_number_of_queries(clinician_client, patient, django_assert_max_num_queries, review_session):
    phq9_record(patient=patient, answers=[2] * 9)
    for days in (20, 10, 2):
        session = review_session(patient, ended_days_ago=days, chair_name=f"Chair {days}")
        phq9_record(patient=patient, answers=[1] * 9, session=session)
    with django_assert_max_num_queries(14):
        assert clinician_client.get(f"/symptoms/patient/{patient.pk}/").status_code == 200


def test_the_dashboard_lists_overdue_review_points_and_drops_them_once_answered(front_desk_client, patient, review_session):
    session = review_session(patient, ended_days_ago=5)
    review_session(patient, ended_days_ago=1, chair_name="Chair B")  # due, not overdue yet
    html = front_desk_client.get("/staff/").content.decode()
    assert "Symptom reviews overdue" in html
    assert html.count("not answered") == 1
    phq9_record(patient=patient, answers=[1] * 9, session=session)
    assert "not answered" not in front_desk_client.get("/staff/").content.decode()


def test_a_session_that_is_not_a_review_point_has_no_questionnaire(patient_client, patient, review_session):
    session = review_session(patient)
    session.review_due = False
    session.save(update_fields=["review_due"])
    assert patient_client.get(f"/symptoms/answer/{session.pk}/").status_code == 404


def test_a_review_point_is_upcoming_then_due_then_overdue_three_days_after_the_session(patient, review_session):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from symptoms.services import review_points

    session = review_session(patient, ended_days_ago=-1)  # ends tomorrow
    with time_machine.travel(session.end - dt.timedelta(minutes=1), tick=False):
        assert review_points(patient=patient)[1]["state"] == "upcoming"
    with time_machine.travel(session.end + dt.timedelta(days=2), tick=False):
        assert review_points(patient=patient)[1]["state"] == "due"
    with time_machine.travel(session.end + dt.timedelta(days=3, minutes=1), tick=False):
        assert review_points(patient=patient)[1]["state"] == "overdue"
        phq9_record(patient=patient, answers=[0] * 9, session=session)
        assert review_points(patient=patient, now=timezone.now())[1]["state"] == "done"
