"""A patient signs the consent form on a phone (320 px): from /me/ to the form, a wrong name
refused with the form kept, the signature, the printable copy (no navigation in print), and
/me/ saying what was signed. axe finds nothing on any page, and nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from screening.models import Consent
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits_320(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 321, page.url


def test_a_patient_signs_the_consent_form_on_a_phone(narrow_page, patient, password, assert_accessible):
    page = narrow_page
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    panel = page.locator("section.my-consent")
    expect(panel).to_contain_text("Sign the consent form before your first infusion.")
    assert_accessible(page, context="my portal, consent not signed")
    panel.get_by_role("link", name="Read and sign the consent form").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Consent form")
    expect(page.locator("article.consent-document")).to_contain_text("not approved by the FDA")
    expect(page.locator("form.consent-sign-form")).to_contain_text("It is now")
    assert_accessible(page, context="consent form")
    _fits_320(page)

    page.get_by_label("Your full name").fill("Someone Else")
    page.get_by_label("I have read this form and agree").check()
    page.get_by_role("button", name="Sign the consent form").click()
    expect(page.get_by_role("alert")).to_contain_text("Type the full name the clinic has for this patient")
    expect(page.get_by_label("Your full name")).to_have_value("Someone Else")
    expect(page.get_by_label("I have read this form and agree")).to_be_checked()
    assert_accessible(page, context="consent form with a wrong name")
    _fits_320(page)
    assert not Consent.objects.exists()

    page.get_by_label("Your full name").fill(patient.full_name)
    page.get_by_role("button", name="Sign the consent form").click()
    expect(page.get_by_role("status").first).to_contain_text("Thank you. You signed the consent form.")
    signature = page.locator("section.consent-signature")
    expect(signature).to_contain_text(patient.full_name)
    expect(signature).to_contain_text("Signed in the portal")
    assert_accessible(page, context="signed copy")
    _fits_320(page)

    # Printed, the copy is the document and the signature: no navigation, no messages.
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator(".messages")).to_be_hidden()
    expect(signature).to_be_visible()
    page.emulate_media(media="screen")

    consent = Consent.objects.get(patient=patient)
    page.goto("/me/")
    expect(panel).to_contain_text(f"Signed version {consent.version.number} on")
    assert_accessible(page, context="my portal, consent signed")
