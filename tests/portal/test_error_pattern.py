"""One error pattern for every form (issue 19): after an invalid submit the title starts with
"Error:", a summary links to each field with a problem, each field carries aria-invalid and
names its error in aria-describedby. Before a submit, nothing is marked invalid."""

import datetime as dt

import pytest

from screening.services import checklist_version_current
from tests.portal.markup import Page
from tests.scheduling.helpers import clear

pytestmark = pytest.mark.django_db


def assert_error_pattern(response, expected_targets):
    page = Page(response.content.decode())
    assert page.title.startswith("Error:"), page.title
    targets = page.summary_targets()
    assert targets[: len(expected_targets)] == expected_targets
    for target in expected_targets:
        field = page.by_id(target)
        assert field.get("aria-invalid") == "true", target
    return page


def assert_no_error_pattern(response):
    page = Page(response.content.decode())
    assert not page.title.startswith("Error:")
    assert page.summary_targets() == []
    assert "data-error-summary" not in page.html
    assert 'aria-invalid="true"' not in page.html
    # No `required` attribute: Chromium reports an untouched required field as invalid.
    assert not any("required" in attrs for _tag, attrs in page.elements if _tag in ("input", "select", "textarea"))
    return page


def test_a_sign_in_that_does_not_match_is_tied_to_both_fields(client, patient):
    assert_no_error_pattern(client.get("/accounts/login/"))
    response = client.post("/accounts/login/", {"username": patient.email, "password": "not-it"})
    page = assert_error_pattern(response, ["id_username"])
    for field in ("id_username", "id_password"):
        assert page.by_id(field)["aria-invalid"] == "true"
        assert "id_form_errors" in page.describedby(field)
    assert page.has_id("id_form_errors")
    # The summary takes focus; the email field's autofocus (on a fresh sign-in page) would race it.
    assert "autofocus" not in page.by_id("id_username")
    assert "autofocus" in Page(client.get("/accounts/login/").content.decode()).by_id("id_username")


def test_an_empty_sign_in_links_each_field(client, db):
    response = client.post("/accounts/login/", {"username": "", "password": ""})
    page = assert_error_pattern(response, ["id_username", "id_password"])
    assert "id_username_error" in page.describedby("id_username")
    assert page.has_id("id_username_error")


def test_a_screening_step_links_each_unanswered_question_and_marks_its_radios(client):
    codes = [item["code"] for item in checklist_version_current().steps()[0]["conditions"]]
    assert_no_error_pattern(client.get("/screening/step/1/"))
    response = client.post("/screening/step/1/", {"action": "next", codes[0]: "yes"})
    page = assert_error_pattern(response, [f"{code}-yes" for code in codes[1:]])
    for value in ("yes", "no", "unsure"):
        assert page.by_id(f"{codes[1]}-{value}")["aria-invalid"] == "true"
        assert "aria-invalid" not in page.by_id(f"{codes[0]}-{value}")
    assert page.describedby(f"q-{codes[1]}") == [f"err-{codes[1]}"]


def test_the_phq9_links_each_unanswered_question(patient_client):
    answers = {f"item{n}": "1" for n in range(1, 8)}
    response = patient_client.post("/symptoms/answer/", answers)
    page = assert_error_pattern(response, ["item8-0", "item9-0"])
    assert page.has_id("item8-error")
    assert page.select("fieldset", data_item="8")[0]["aria-describedby"] == "item8-error"
    assert "aria-invalid" not in page.by_id("item1-0")


def test_registering_a_patient_with_nothing_filled_in(front_desk_client):
    page = assert_no_error_pattern(front_desk_client.get("/staff/patients/register/"))
    assert "Fields marked * are required." in page.html
    assert page.by_id("id_first_name")["aria-required"] == "true"
    response = front_desk_client.post("/staff/patients/register/", {"first_name": ""})
    page = assert_error_pattern(response, ["id_first_name", "id_last_name"])
    assert page.describedby("id_first_name") == ["id_first_name_error"]


def test_a_session_cancel_without_a_reason(front_desk_client, patient, clinician):
    from scheduling.models import Chair
    from scheduling.services import course_book

    clear(patient, clinician)
    Chair.objects.get_or_create(name="Chair 1")
    monday = dt.date.today() + dt.timedelta(days=14 - dt.date.today().weekday())
    course = course_book(patient=patient, first_day=monday, sessions_per_week=2, weeks=1, start_time=dt.time(10))
    session = course.sessions.first()
    response = front_desk_client.post(f"/staff/sessions/{session.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    page = assert_error_pattern(response, ["cancel_reason"])
    assert "cancel_reason_error" in page.describedby("cancel_reason")
    # The other forms on the page are not marked.
    assert "aria-invalid" not in page.by_id("move_reason")


def test_the_clinicians_decision_summary_comes_before_the_answers_table(clinician_client):
    from screening.services import screening_submit

    version = checklist_version_current()
    screening = screening_submit(
        answers={code: "no" for code in version.codes}, version=version, submission_key="k" * 32, consent=True,
        first_name="Erin", last_name="Ellis", email="erin@example.com", date_of_birth=dt.date(1985, 6, 15),
    )
    response = clinician_client.post(f"/screening/{screening.pk}/decide/", {})
    page = Page(response.content.decode())
    assert page.title.startswith("Error:")
    targets = page.summary_targets()
    assert targets and page.by_id(targets[0]).get("aria-invalid") == "true"
    assert page.html.index("data-error-summary") < page.html.index("<table")


def test_a_new_password_that_does_not_match(client, patient):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = patient.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    form_url = client.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/", follow=True).request["PATH_INFO"]
    response = client.post(form_url, {"new_password1": "a-long-new-password-1", "new_password2": "other-password-2"})
    assert_error_pattern(response, ["id_new_password2"])


def test_a_clinicians_alert_review_without_a_note(clinician_client, patient):
    from symptoms.models import SafetyAlert
    from symptoms.services import phq9_record

    phq9_record(patient=patient, answers=[1] * 8 + [2])
    alert = SafetyAlert.objects.get()
    response = clinician_client.post(f"/symptoms/alerts/{alert.pk}/review/", {"note": ""})
    page = Page(response.content.decode())
    assert page.title.startswith("Error:")
    target = page.summary_targets()[0]
    assert page.by_id(target)["aria-invalid"] == "true"
    assert f"{target}_error" in page.describedby(target)
