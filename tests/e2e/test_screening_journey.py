import re

import pytest
from playwright.sync_api import expect

from screening.models import Clearance, Screening
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _answer_step(page, answers: dict[str, str], default: str = "No"):
    for fieldset in page.locator("fieldset[data-question]").all():
        code = fieldset.get_attribute("data-question")
        fieldset.get_by_label(answers.get(code, default), exact=True).check()


def test_an_anonymous_patient_screens_goes_back_changes_an_answer_and_sends_it_and_a_clinician_clears_it(
    page, clinician, password, assert_accessible, csp_violations
):
    page.goto("/screening/")
    assert_accessible(page, context="intro")
    page.get_by_role("button", name="Start the self-screening").click()

    expect(page.get_by_text("Step 1 of 6")).to_be_visible()
    assert_accessible(page, context="step 1")
    # Moving on with nothing answered lists what is missing.
    page.get_by_role("button", name="Next").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text("Please answer every question")
    assert_accessible(page, context="step 1 with errors")
    _answer_step(page, {"ketamine_allergy": "Not sure"})
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    _answer_step(page, {})
    # Back keeps step 1's answers; change one.
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_text("Step 1 of 6")).to_be_visible()
    allergy = page.locator('fieldset[data-question="ketamine_allergy"]')
    expect(allergy.get_by_label("Not sure", exact=True)).to_be_checked()
    allergy.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Next").click()

    for number in range(2, 7):
        expect(page.get_by_text(f"Step {number} of 6")).to_be_visible()
        assert_accessible(page, context=f"step {number}")
        _answer_step(page, {"epilepsy": "Yes"})
        page.get_by_role("button", name="Next").click()

    result = page.locator("[data-outcome]")
    expect(result).to_have_attribute("data-outcome", "review")
    expect(page.locator("[data-condition]")).to_have_count(1)
    expect(page.locator('[data-condition="epilepsy"]')).to_contain_text("epilepsy")
    assert_accessible(page, context="result")

    page.get_by_label("First name").fill("Erin")
    page.get_by_label("Last name").fill("Ellis")
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Date of birth").fill("1985-06-15")
    page.get_by_label("I agree that the clinic may store").check()
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    assert_accessible(page, context="sent")

    screening = Screening.objects.get()
    assert screening.flagged == ["epilepsy"]
    assert {a["code"]: a["answer"] for a in screening.answers}["ketamine_allergy"] == "no"

    page.context.clear_cookies()
    sign_in(page, clinician.email, password)
    page.wait_for_url("**/staff/")
    assert_accessible(page, context="staff dashboard")
    page.get_by_role("link", name="Erin Ellis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erin Ellis")
    assert_accessible(page, context="patient record")
    page.get_by_role("link", name=re.compile("^Sent on")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Self-screening: Erin Ellis")
    assert_accessible(page, context="screening detail")
    page.get_by_label("Cleared for booking").check()
    page.get_by_label("Note").fill("Seizure-free for 10 years; discussed by phone.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Recorded: Cleared for booking")).to_be_visible()
    assert_accessible(page, context="after decision")
    assert Clearance.objects.get().decision == "cleared"
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations


def test_the_screening_works_with_javascript_off(browser, live_server):
    # axe-core needs JavaScript, so this journey checks function only; the pages are
    # the same ones the journey above checks with axe.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/screening/")
        page.get_by_role("button", name="Start the self-screening").click()
        for _ in range(6):
            _answer_step(page, {})
            page.get_by_role("button", name="Next").click()
        expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "clear")
        expect(page.get_by_text("use your browser's Print command")).to_be_visible()
    finally:
        context.close()
