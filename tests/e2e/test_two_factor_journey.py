"""A clinician past the grace period sets up an authenticator app in the browser, saves the
recovery codes, signs out, and signs in again with a code; every page checked by axe-core at
desktop width and at 320 px (the two-step pages are part of the accessibility sweep)."""

import re
import time
from base64 import b32decode

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import expect

from portal.models import User
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _code(key: bytes, *, later: int = 0) -> str:
    generator = TOTP(key)
    generator.time = time.time() + later
    return f"{generator.token():06d}"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


@pytest.mark.parametrize("width", [1280, 320])
def test_a_clinician_sets_up_the_app_then_signs_in_with_a_code(
    browser, live_server, clinician, password, assert_accessible, width
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        sign_in(page, clinician.email, password)
        page.wait_for_url("**/staff/")
        expect(page.get_by_text("Set up two-step sign-in within")).to_be_visible()
        assert_accessible(page, context=f"staff dashboard in the grace period at {width}px")

        User.objects.filter(pk=clinician.pk).update(two_factor_required_from=timezone.now())
        page.goto("/staff/")
        page.wait_for_url("**/accounts/two-factor/setup/**")
        assert_accessible(page, context=f"set-up link page at {width}px")
        assert _fits(page)
        mail.outbox.clear()
        page.get_by_role("button", name="Email me the set-up link").click()
        expect(page.get_by_text("We sent the link")).to_be_visible()
        link = re.search(r"(/accounts/two-factor/setup/\S+/)", mail.outbox[0].body).group(1)
        page.goto(link[:-5] + "xxxx/")
        expect(page.get_by_text("This link has expired")).to_be_visible()
        assert_accessible(page, context=f"expired set-up link at {width}px")
        page.goto(link)
        expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
        assert _fits(page), "the setup page reflows"
        assert_accessible(page, context=f"setup at {width}px")

        page.get_by_label("Type the 6-digit code the app now shows").fill("000000")
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        expect(page.locator("#id_code_error").get_by_text("That code is not right")).to_be_visible()
        expect(page.locator("[data-error-summary]")).to_contain_text("That code is not right")
        assert_accessible(page, context=f"setup with a wrong code at {width}px")

        shown = page.locator("[data-setup-key]").inner_text().replace(" ", "")
        key = b32decode(shown + "=" * (-len(shown) % 8))
        page.get_by_label("Type the 6-digit code the app now shows").fill(_code(key))
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        page.wait_for_url("**/accounts/two-factor/recovery-codes/**")
        codes = page.locator("[data-recovery-codes] code").all_inner_texts()
        assert len(codes) == 10
        assert _fits(page)
        assert_accessible(page, context=f"recovery codes at {width}px")
        page.get_by_role("link", name="I have saved my codes").click()
        page.wait_for_url("**/staff/")

        page.get_by_role("link", name="Two-step sign-in and recovery codes").click()
        page.wait_for_url("**/accounts/two-factor/")
        expect(page.get_by_text("You have 10 unused recovery codes.")).to_be_visible()
        assert_accessible(page, context=f"two-step status at {width}px")

        page.get_by_role("button", name="Sign out").first.click()
        sign_in(page, clinician.email, password)
        page.wait_for_url("**/accounts/two-factor/verify/**")
        assert _fits(page)
        assert_accessible(page, context=f"code step at {width}px")
        page.get_by_label("Code from your app, or a recovery code").fill(codes[0])
        page.get_by_role("button", name="Finish signing in").click()
        page.wait_for_url("**/staff/")
        expect(page.get_by_text("You used a recovery code. 9 are left")).to_be_visible()
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()
