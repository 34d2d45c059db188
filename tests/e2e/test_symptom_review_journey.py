import pytest
from playwright.sync_api import expect

from symptoms.models import SafetyAlert, SymptomReview
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCORES = ["Nearly every day", "More than half the days", "Several days", "Several days", "Not at all",
          "Several days", "Not at all", "Not at all", "Several days"]


def test_a_patient_answers_the_phq9_sees_help_and_a_chart_and_a_clinician_clears_the_alert(
    page, patient, clinician, password, assert_accessible, csp_violations
):
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="Answer it now (about 3 minutes)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Symptom questionnaire (PHQ-9)")
    expect(page.get_by_text("call or text 988", exact=False).first).to_be_visible()
    assert_accessible(page, context="questionnaire")

    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text("Please answer every question")
    assert_accessible(page, context="questionnaire with errors")

    for number, label in enumerate(SCORES, start=1):
        page.locator(f'fieldset[data-item="{number}"]').get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=2, name="Your total: 9 out of 27 (mild)")).to_be_visible()
    expect(page.get_by_text("call or text 988", exact=False).first).to_be_visible()
    expect(page.locator("svg.phq-svg")).to_be_visible()
    expect(page.get_by_text("A clinician has been told")).to_be_visible()
    assert_accessible(page, context="result")
    assert SymptomReview.objects.get().alert is True

    page.goto("/symptoms/")
    assert_accessible(page, context="my symptom reviews")

    page.context.clear_cookies()
    sign_in(page, clinician.email, password)
    page.wait_for_url("**/staff/")
    expect(page.get_by_role("heading", name="1 PHQ-9 item-9 alert needs a clinician")).to_be_visible()
    assert_accessible(page, context="staff with alert")
    page.get_by_role("link", name="Alice Archer").first.click()
    assert_accessible(page, context="patient record")
    page.get_by_role("link", name="All symptom reviews").click()
    assert_accessible(page, context="patient chart")
    page.get_by_label("What you did").fill("Called Alice; safety plan agreed; follow-up tomorrow.")
    page.get_by_role("button", name="Record review and close the alert").click()
    expect(page.get_by_text("Alert reviewed and closed")).to_be_visible()
    assert_accessible(page, context="after review")
    assert SafetyAlert.objects.open().count() == 0
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations
