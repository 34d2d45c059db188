import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_patient_signs_in_from_the_home_page_and_reaches_their_portal(page, patient, password, assert_accessible, csp_violations):
    page.goto("/")
    assert page.locator("h1").count() == 1
    assert_accessible(page, context="home")

    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url("**/accounts/login/**")
    assert_accessible(page, context="login")

    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "My portal"
    assert "Alice" in page.content()
    assert_accessible(page, context="/me/")
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations


def test_a_wrong_password_shows_a_clear_message_and_keeps_the_email(page, patient, assert_accessible):
    sign_in(page, patient.email, "not-the-password")
    # In the error summary (focused) and above the fields it is about.
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]").get_by_text("do not match an account")).to_be_visible()
    expect(page.locator("#id_form_errors").get_by_text("do not match an account")).to_be_visible()
    assert page.get_by_label("Email").input_value() == patient.email
    assert_accessible(page, context="login error")


def test_the_idle_warning_offers_to_stay_signed_in(page, patient, password, settings, assert_accessible):
    settings.SESSION_IDLE_TIMEOUT = 6
    settings.SESSION_IDLE_WARNING = 5
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    dialog.wait_for(state="visible", timeout=5_000)
    assert_accessible(page, context="idle warning")
    dialog.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    page.goto("/me/")
    assert page.url.endswith("/me/")


def test_staff_signing_in_land_on_the_staff_dashboard(page, front_desk, password, assert_accessible):
    sign_in(page, front_desk.email, password)
    page.wait_for_url("**/staff/")
    assert_accessible(page, context="/staff/")


def test_pages_reflow_at_320_pixels(narrow_page, assert_accessible):
    narrow_page.goto("/")
    assert narrow_page.evaluate("document.documentElement.scrollWidth <= 320")
    assert_accessible(narrow_page, context="home at 320px")
