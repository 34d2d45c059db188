"""A patient fills in the intake on a 320 px phone; a clinician finds them through the search,
reads the intake beside the screening on the record, and clears them. axe-core on every page."""

import uuid

import pytest
from playwright.sync_api import expect

from screening.models import Clearance, Intake
from screening.services import checklist_version_current, screening_submit
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 321


def test_a_patient_does_the_intake_on_a_phone_and_a_clinician_finds_and_clears_them(
    narrow_page, page, patient, clinician, password, assert_accessible
):
    version = checklist_version_current()
    answers = {code: "no" for code in version.codes}
    answers["epilepsy"] = "unsure"
    screening_submit(
        answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
        first_name=patient.first_name, last_name=patient.last_name, email=patient.email, patient=patient,
        notes={"epilepsy": "One seizure at 12, none since"},
    )

    phone = narrow_page
    sign_in(phone, patient.email, password)
    phone.wait_for_url("**/me/")
    phone.get_by_role("link", name="Start (about 5 minutes)").click()
    assert_accessible(phone, context="intake overview")
    phone.get_by_role("link", name="Why you want treatment").click()
    phone.get_by_label("Depression").check()
    phone.get_by_label("How long has this troubled you?").select_option("2_5")
    phone.get_by_label("Your date of birth").fill("2999-01-01")
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.get_by_text("Enter a date of birth in the past.", exact=True)).to_be_visible()
    assert_accessible(phone, context="intake step 1 with an error")
    _no_sideways_scroll(phone)
    expect(phone.get_by_label("Depression")).to_be_checked()  # nothing typed is lost
    phone.get_by_label("Your date of birth").fill("1980-05-01")
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Treatments you have tried")
    phone.get_by_label("How many antidepressant medicines have you tried?").fill("3")
    phone.get_by_label("I have had talking therapy").check()
    phone.get_by_role("button", name="Save and continue").click()
    phone.get_by_label("Medicines you take now").fill("sertraline 100 mg\nlithium 300 mg")
    phone.get_by_label("Allergies").fill("none")
    phone.get_by_role("button", name="Save and continue").click()
    phone.get_by_label("Emergency contact: name").fill("Sam Archer")
    phone.get_by_label("Emergency contact: phone").fill("(555) 010-0111")
    phone.get_by_label("Who usually drives you home: name").fill("Pat Archer")
    phone.get_by_label("Who usually drives you home: phone").fill("(555) 010-0222")
    assert_accessible(phone, context="intake people step")
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="Save and continue").click()
    phone.get_by_label("Monday").check()
    phone.get_by_label("Thursday").check()
    phone.get_by_role("button", name="Save and check your answers").click()
    assert_accessible(phone, context="intake summary")
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="Send to the clinic").click()
    expect(phone.get_by_text("Thank you. The clinic has your answers.")).to_be_visible()
    assert Intake.objects.get(patient=patient).submitted_at is not None

    sign_in(page, clinician.email, password)
    page.wait_for_url("**/staff/")
    page.goto("/staff/patients/")
    page.get_by_label("Find a patient").fill("ARCHER")
    page.get_by_role("button", name="Search").click()
    assert_accessible(page, context="search results")
    page.get_by_role("link", name="Archer, Alice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Archer")
    intake = page.locator('[data-record-section="intake"]')
    expect(intake).to_contain_text("lithium 300 mg")
    expect(intake).to_contain_text("Pat Archer")
    expect(page.locator('[data-record-section="screenings"]')).to_contain_text("One seizure at 12, none since")
    assert_accessible(page, context="patient record")
    page.get_by_role("link", name="Sent on").first.click()
    expect(page.locator('[data-record-section="intake"]')).to_contain_text("Monday, Thursday")
    page.get_by_label("Cleared for booking").check()
    page.get_by_label("Note").fill("Discussed the seizure history by phone.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Recorded: Cleared for booking")).to_be_visible()
    assert_accessible(page, context="after clearance")
    assert Clearance.objects.get(patient=patient).decision == "cleared"
