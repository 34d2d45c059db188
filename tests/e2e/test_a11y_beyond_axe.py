"""What axe-core cannot see (issue 19), checked in the browser on the sweep's world:

- forced colours (Windows High Contrast): a checked radio or checkbox looks different from an
  unchecked one, and a focused control from an unfocused one (pixels compared);
- the focus indicator, measured from computed styles: an outline (not a box-shadow, which
  forced colours drop) at 3:1 or more against the page, on links, buttons, inputs, selects,
  radios and checkboxes; unchecked radio and checkbox borders at 3:1 or more;
- after each invalid submit: the title starts with "Error:", focus is on the error summary, and
  every field it links to carries aria-invalid and an aria-describedby naming its error;
- the idle warning: Escape keeps the session; an idle sign-out returns to the page after sign-in;
- booking six sessions by keyboard after "Propose sessions" in under 40 key presses, with focus
  on the proposal's heading first and on the confirmation after.
axe stays at zero on the pages visited here at both widths (tests/e2e/test_a11y_sweep.py sweeps
every page; these states are checked again with assert_accessible).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in
from tests.e2e.world import sweep_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(patient, front_desk, clinician, settings):
    return sweep_world(patient=patient, front_desk=front_desk, clinician=clinician, settings=settings)


def submit(page, action: str | None = None):
    """Submit the form posting to `action` (default: the page's first form) as it is."""
    form = f'main form[action="{action}"]' if action else "main form"
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").first.click()


# --- Colour arithmetic (WCAG 2.2 relative luminance) -----------------------------------------


def _rgb(css: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    red, green, blue = numbers[:3]
    alpha = numbers[3] if len(numbers) > 3 else 1.0
    return red, green, blue, alpha


def _luminance(red: float, green: float, blue: float) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(css_colour: str, background: str = "rgb(255, 255, 255)") -> float:
    red, green, blue, alpha = _rgb(css_colour)
    back = _rgb(background)
    # A translucent colour is seen over the background.
    red, green, blue = (alpha * c + (1 - alpha) * b for c, b in zip((red, green, blue), back[:3], strict=True))
    lighter, darker = sorted((_luminance(red, green, blue), _luminance(*back[:3])), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


FOCUS_STYLE_JS = """el => { const s = getComputedStyle(el);
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor,
          border: s.borderTopColor, shadow: s.boxShadow}; }"""


def focus_by_keyboard(page, selector: str):
    """Focus `selector` as the keyboard would (Tab from the element before it), so :focus-visible applies."""
    page.locator(selector).first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate(f"document.activeElement === document.querySelector({selector!r})"), selector


def assert_focus_indicator(page, selector: str):
    focus_by_keyboard(page, selector)
    style = page.locator(selector).first.evaluate(FOCUS_STYLE_JS)
    assert style["style"] not in ("none", "") and style["width"] >= 2, (selector, style)
    assert contrast(style["colour"]) >= 3, (selector, style)


# --- Forced colours and focus -----------------------------------------------------------------


def _shot(page, selector: str, pad: int = 8) -> bytes:
    # A clip is taken from the page, not the viewport: a control below the fold is still pictured.
    box = page.locator(selector).first.bounding_box()
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    box = {**box, "x": box["x"] + scroll[0], "y": box["y"] + scroll[1]}
    clip = {"x": max(0, box["x"] - pad), "y": max(0, box["y"] - pad),
            "width": box["width"] + 2 * pad, "height": box["height"] + 2 * pad}
    return page.screenshot(clip=clip, full_page=True, animations="disabled", caret="hide")


def test_forced_colours_show_the_chosen_answer_and_the_focus(page, world):
    page.emulate_media(forced_colors="active")
    page.goto("/screening/")
    submit(page, "/screening/")
    radio = "fieldset[data-question] input[type=radio]"
    # Nothing focused, nothing checked; then checked (focus moved away), then focused.
    page.locator("h1").first.evaluate("el => { el.tabIndex = -1; el.focus(); }")
    unchecked = _shot(page, radio)
    page.locator(radio).first.evaluate("el => { el.checked = true; }")
    checked = _shot(page, radio)
    assert unchecked != checked, "a checked radio looks like an unchecked one in forced colours"
    button = "main button[type=submit]"
    unfocused = _shot(page, button)
    focus_by_keyboard(page, button)
    focused = _shot(page, button)
    assert unfocused != focused, "a focused button looks like an unfocused one in forced colours"

    page.goto("/accounts/login/")  # a text input
    field = "#id_username"
    page.locator("h1").first.evaluate("el => { el.tabIndex = -1; el.focus(); }")
    unfocused = _shot(page, field)
    focus_by_keyboard(page, field)
    assert unfocused != _shot(page, field), "a focused input looks like an unfocused one in forced colours"


def test_forced_colours_show_a_checked_checkbox(page, world, password):
    page.emulate_media(forced_colors="active")
    sign_in(page, world.front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.goto("/staff/book/")
    box = "input[type=checkbox][name=weekdays]"
    page.locator("h1").first.evaluate("el => { el.tabIndex = -1; el.focus(); }")
    unchecked = _shot(page, box)
    page.locator(box).first.evaluate("el => { el.checked = true; }")
    assert unchecked != _shot(page, box)


def test_the_focus_indicator_is_an_outline_at_3_to_1_on_every_kind_of_control(page, world, password):
    sign_in(page, world.front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.goto("/staff/book/")
    for selector in ("main a[href]", "main button.btn-primary", "#id_first_day", "#id_patient",
                     "input[type=checkbox][name=weekdays]"):
        assert_focus_indicator(page, selector)
    unchecked = page.locator("input[type=checkbox][name=weekdays]").first.evaluate(FOCUS_STYLE_JS)
    assert contrast(unchecked["border"]) >= 3, unchecked
    page.goto(f"/staff/sessions/{world.session.pk}/")
    assert_focus_indicator(page, "input[type=radio]")
    assert contrast(page.locator("input[type=radio]").first.evaluate(FOCUS_STYLE_JS)["border"]) >= 3
    assert_focus_indicator(page, "#cancel_reason")


# --- Errors that reach the user ---------------------------------------------------------------

ERROR_STATE_JS = """() => {
  const summary = document.querySelector('[data-error-summary]');
  const links = summary ? [...summary.querySelectorAll('a[href^="#"]')] : [];
  return {
    title: document.title,
    focusedSummary: !!summary && document.activeElement === summary,
    fields: links.map(link => {
      const el = document.getElementById(link.getAttribute('href').slice(1));
      if (!el) return {target: link.getAttribute('href'), missing: true};
      const group = el.type === 'radio' ? el.closest('fieldset') : null;
      const described = (el.getAttribute('aria-describedby') || (group && group.getAttribute('aria-describedby')) || '')
        .split(/\\s+/).filter(Boolean);
      return {
        target: link.getAttribute('href'),
        invalid: el.getAttribute('aria-invalid'),
        radiosInvalid: group ? [...group.querySelectorAll('input[type=radio]')].every(r => r.getAttribute('aria-invalid') === 'true') : true,
        describedText: described.map(id => (document.getElementById(id) || {}).textContent || '').join(' ').trim(),
      };
    }),
  };
}"""


def assert_errors_reach_the_user(page, where: str):
    page.wait_for_load_state("load")
    state = page.evaluate(ERROR_STATE_JS)
    assert state["title"].startswith("Error:"), (where, state["title"])
    assert state["focusedSummary"], f"{where}: focus is not on the error summary"
    assert state["fields"], f"{where}: the summary links to no field"
    for field in state["fields"]:
        assert not field.get("missing"), (where, field)
        assert field["invalid"] == "true" and field["radiosInvalid"], (where, field)
        assert field["describedText"], (where, field)


def test_every_form_answers_an_invalid_submit_the_same_way(page, world, password, assert_accessible):
    # Anonymous: sign-in, a screening step, the password reset.
    page.goto("/accounts/login/")
    assert not page.evaluate("document.querySelector('[aria-invalid]')"), "marked invalid before any submit"
    sign_in(page, "nobody@example.com", "not-the-password")
    assert_errors_reach_the_user(page, "sign-in")
    assert_accessible(page, context="sign-in error")
    page.goto("/screening/")
    submit(page, "/screening/")
    assert not page.evaluate("document.querySelector('[aria-invalid]')"), "screening step marked before submit"
    with page.expect_navigation():
        page.locator('main button[name="action"][value="next"]').click()
    assert_errors_reach_the_user(page, "screening step")
    assert_accessible(page, context="screening step errors")
    page.goto("/accounts/password_reset/")
    page.get_by_label("Email").fill("not an email")
    submit(page)
    assert_errors_reach_the_user(page, "password reset")
    page.goto(f"/accounts/invite/{world.invitation_token}/")
    submit(page)
    assert_errors_reach_the_user(page, "invitation")
    _answer_every_step(page)
    submit(page, "/screening/send/")
    assert_errors_reach_the_user(page, "send the screening")

    # The patient's PHQ-9.
    sign_in(page, world.patient.email, password)
    page.wait_for_url("**/me/")
    page.goto(f"/symptoms/answer/{world.review_point.pk}/")
    submit(page)
    assert_errors_reach_the_user(page, "PHQ-9")
    assert_accessible(page, context="PHQ-9 errors")
    page.goto("/me/")
    page.evaluate("document.querySelectorAll('form[action=\"/me/channel/\"] input[type=radio]')"
                  ".forEach(radio => { radio.checked = false; })")
    submit(page, "/me/channel/")
    assert_errors_reach_the_user(page, "contact choice")
    page.context.clear_cookies()

    # The front desk: booking, registering, moving and cancelling a session.
    sign_in(page, world.front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.goto("/staff/book/")
    submit(page, "/staff/book/")
    assert_errors_reach_the_user(page, "booking")
    page.goto("/staff/patients/register/")
    expect(page.get_by_text("Fields marked * are required.")).to_be_visible()
    submit(page)
    assert_errors_reach_the_user(page, "register patient")
    page.goto(f"/staff/sessions/{world.session.pk}/")
    submit(page, f"/staff/sessions/{world.session.pk}/cancel/")
    assert_errors_reach_the_user(page, "cancel session")
    page.goto(f"/staff/sessions/{world.session.pk}/")
    page.locator("#move_day").fill("")
    submit(page, f"/staff/sessions/{world.session.pk}/reschedule/")
    assert_errors_reach_the_user(page, "move session")
    assert_accessible(page, context="move session errors")
    page.goto(f"/staff/courses/{world.course.pk}/")
    submit(page, f"/staff/courses/{world.course.pk}/cancel-rest/")
    assert_errors_reach_the_user(page, "cancel the rest of a course")
    page.context.clear_cookies()

    # The clinician's decision: the summary comes before the long answers table.
    sign_in(page, world.clinician.email, password)
    page.wait_for_url("**/staff/")
    page.goto(f"/screening/{world.referral.pk}/")
    submit(page, f"/screening/{world.referral.pk}/decide/")
    assert_errors_reach_the_user(page, "decision")
    assert page.evaluate("""() => document.querySelector('[data-error-summary]')
        .compareDocumentPosition(document.querySelector('main table')) & Node.DOCUMENT_POSITION_FOLLOWING""")


def _answer_every_step(page):
    page.goto("/screening/")
    submit(page, "/screening/")
    while page.locator("fieldset[data-question]").count():
        for fieldset in page.locator("fieldset[data-question]").all():
            fieldset.get_by_label("No", exact=True).check()
        with page.expect_navigation():
            page.locator('main button[name="action"][value="next"]').click()


# --- The idle warning -------------------------------------------------------------------------


def test_escape_on_the_idle_warning_keeps_the_session(page, patient, password, settings):
    # The warning opens 2 s after the page loads; without the session kept, the page would go to
    # sign-in 10 s (+1.5 s) after load. Escape at ~2 s keeps it: the page stays past that moment.
    settings.SESSION_IDLE_TIMEOUT = 10
    settings.SESSION_IDLE_WARNING = 8
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    dialog.wait_for(state="visible", timeout=5_000)
    with page.expect_response("**/accounts/keepalive/") as kept:
        page.keyboard.press("Escape")
    assert kept.value.json() == {"signed_in": True}
    dialog.wait_for(state="hidden")
    # The warning comes back after the next 2 s of silence, as it should.
    dialog.wait_for(state="visible", timeout=5_000)
    page.wait_for_timeout(10_500 - 2_000)
    assert page.url.endswith("/me/"), page.url


def test_the_absolute_limit_warns_before_it_ends_the_session(page, patient, password, settings, assert_accessible):
    settings.SESSION_ABSOLUTE_LIFETIME = 9
    settings.SESSION_IDLE_WARNING = 6
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    warning = page.get_by_role("dialog", name="Your session ends soon")
    warning.wait_for(state="visible", timeout=6_000)
    expect(warning.locator("[data-session-end-countdown]")).to_contain_text("Time left: 0 min")
    assert_accessible(page, context="absolute limit warning")
    page.keyboard.press("Escape")
    warning.wait_for(state="hidden")
    # The limit holds whatever the user does: the page then goes to sign-in, coming back to /me/.
    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Fme%2F$"), timeout=10_000)


def test_after_an_idle_sign_out_signing_in_returns_to_the_page(page, patient, password, settings):
    settings.SESSION_IDLE_TIMEOUT = 4
    settings.SESSION_IDLE_WARNING = 2
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    page.goto("/symptoms/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Fsymptoms%2F$"), timeout=15_000)
    expect(page.get_by_text("You were signed out")).to_be_visible()
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url("**/symptoms/")


# --- Booking by keyboard ----------------------------------------------------------------------


def test_six_sessions_are_booked_in_under_40_key_presses_after_proposing(page, world, password, assert_accessible):
    sign_in(page, world.front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.goto("/staff/book/")
    page.locator("#id_patient").select_option(str(world.bea.pk))
    page.get_by_label("First day").fill(world.monday.isoformat())
    page.get_by_label("Sessions a week").select_option("3")
    page.get_by_label("Number of weeks").select_option("2")
    page.get_by_label("Preferred start time").fill("14:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Propose sessions").click()
    page.wait_for_load_state("load")
    focused = page.evaluate("""() => ({id: document.activeElement.id,
        status: document.getElementById(document.activeElement.getAttribute('aria-describedby') || '')?.textContent})""")
    assert focused["id"] == "proposal-title", focused
    assert "Every session fits" in (focused["status"] or "")
    assert_accessible(page, context="proposal, every session fits")

    presses = 0
    while presses < 40:
        if page.evaluate("document.activeElement.textContent.trim() === 'Book course'"):
            break
        page.keyboard.press("Tab")
        presses += 1
    with page.expect_navigation():
        page.keyboard.press("Enter")
    presses += 1
    assert presses < 40, f"booking took {presses} key presses"
    page.wait_for_url("**/staff/courses/*/")
    confirmation = page.evaluate("document.activeElement.textContent")
    assert "Booked 6 sessions" in confirmation, confirmation
    assert page.title().startswith("Course · Bea Brown")
