"""Accessibility sweep (WCAG 2.2 AA): every page template, rendered in the browser
with real content, checked by axe-core at 1280x800 and at 320x640, where nothing may
overflow sideways (WCAG 1.4.10 Reflow: 320 CSS pixels with no horizontal scrolling).

Each role walks its pages once, in one browser context; every page state on the way is
checked at 1280 px, then the viewport is narrowed to 320 px and checked again. Anonymous visitors
(the guide, the self-screening, sign-in, password reset, invitations, error pages),
a patient with a booked course, a PHQ-9 review with the item-9 alert and a screening,
the front desk (booking, sheets, sessions, messages that failed) and a clinician
(a screening awaiting review, the alert, the guide's admin and draft preview).
Forms are also checked after an invalid submission, showing their errors.

The live server is a thread of this process, so Django's ``template_rendered`` test
signal tells which template answered each visit: a page is only counted as swept
when the template it claims was really rendered. ``test_every_page_template_is_swept``
then fails when a template file is neither swept nor in the documented exclusions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.test.signals import template_rendered
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.e2e.helpers import AXE_TAGS, sign_in
from tests.e2e.world import sweep_world

pytestmark = [pytest.mark.e2e]

VIEWPORTS = {"1280px": {"width": 1280, "height": 800}, "320px": {"width": 320, "height": 640}}
# Sub-pixel rounding can make scrollWidth one pixel wider than the viewport.
REFLOW_TOLERANCE = 1
ADMIN_PREFIXES = ("education/admin/", "screening/admin/")

# --- What each role's walk must render (checked at run time through template_rendered) ---

ANONYMOUS_TEMPLATES = {
    "portal/home.html",
    "education/index.html",
    "education/guide.html",
    "education/guide_not_found.html",
    "404.html",
    "405.html",
    "400.html",
    "500.html",
    "screening/start.html",
    "screening/step.html",
    "screening/result.html",
    "screening/send.html",
    "screening/rate_limited.html",
    "screening/sent.html",
    "screening/confirm.html",
    "registration/login.html",
    "registration/locked_out.html",
    "registration/password_reset_form.html",
    "registration/password_reset_done.html",
    "registration/password_reset_confirm.html",
    "registration/password_reset_complete.html",
    "registration/invitation_accept.html",
    "registration/invitation_invalid.html",
    "403_csrf.html",
}
PATIENT_TEMPLATES = {
    "portal/me.html",
    "scheduling/my_session.html",
    "scheduling/subscription.html",
    "symptoms/home.html",
    "symptoms/result.html",
    "symptoms/answer.html",
    "screening/detail.html",
    "screening/consent.html",
    "screening/consent_copy.html",
    "403.html",
    "registration/logged_out.html",
    "screening/intake_review.html",
    "screening/intake_step.html",
}
FRONT_DESK_TEMPLATES = {
    "portal/staff.html",
    "scheduling/book.html",
    "scheduling/register.html",
    "scheduling/closed_days.html",
    "scheduling/day.html",
    "scheduling/week.html",
    "scheduling/session.html",
    "scheduling/course.html",
    "scheduling/notifications/staff_attention.html",
    "scheduling/notifications/staff_log.html",
    "symptoms/patient_chart.html",
    "screening/consent_staff.html",
    "portal/patient_search.html",
    "portal/patient_record.html",
    "portal/patient_edit.html",
}
CLINICIAN_TEMPLATES = {
    "portal/staff.html",
    "portal/patient_search.html",
    "portal/patient_record.html",
    "screening/detail.html",
    "symptoms/patient_chart.html",
    "education/admin/guide_change_form.html",
    "education/guide.html",
    "screening/admin/consentversion_change_form.html",
    "screening/consent_copy.html",
}
SWEPT_TEMPLATES = ANONYMOUS_TEMPLATES | PATIENT_TEMPLATES | FRONT_DESK_TEMPLATES | CLINICIAN_TEMPLATES

# Template files that are not pages of their own, each with the reason. The pages that
# include them are swept, so their markup is checked there.
EXCLUDED_TEMPLATES = {
    "base.html": "the layout every swept page extends",
    # Partials included by swept pages.
    "education/_guide_body.html": "partial of education/guide.html",
    "scheduling/_datenav.html": "partial of the day sheet and week view",
    "scheduling/notifications/_status.html": "partial of the staff message pages",
    "screening/_answers_table.html": "partial of the screening result and detail pages",
    "screening/_intake_summary.html": "partial of the intake summary, the screening detail and the patient record",
    "screening/_form_fields.html": "partial of the screening step page",
    "screening/_result_summary.html": "partial of the screening result page",
    "screening/_send_form_fields.html": "partial of the screening result and send pages",
    "screening/_consent_body.html": "partial of the consent pages (and the emailed copy)",
    "screening/_consent_sign_form.html": "partial of the patient's and the tablet's consent pages",
    "screening/_consent_signatures.html": "partial of the patient's and the tablet's consent pages",
    "symptoms/_chart.html": "partial of the PHQ-9 result, home and patient chart pages",
    "symptoms/_crisis.html": "partial of the PHQ-9 pages",
    "bootstrap5/layout/field_errors_block.html": "crispy-forms field errors, rendered in every swept form with errors",
    "bootstrap5/errors.html": "crispy-forms form-level errors, rendered in the swept sign-in form with errors",
    "includes/error_summary.html": "the error summary of base.html, on every swept form with errors",
    "includes/required_note.html": "partial of the staff booking, register, session and course forms",
    # Dashboard panels: fragments rendered into /me/ and /staff/ (both swept with data that shows them).
    "education/panels/me.html": "panel of /me/",
    "education/panels/staff.html": "panel of /staff/",
    "scheduling/panels/me.html": "panel of /me/",
    "scheduling/panels/staff.html": "panel of /staff/",
    "scheduling/notifications/staff_panel.html": "panel of /staff/",
    "screening/panels/me.html": "panel of /me/",
    "screening/panels/consent.html": "panel of /me/",
    "screening/panels/staff.html": "panel of /staff/",
    "symptoms/panels/alerts.html": "panel of /staff/",
    "symptoms/panels/me.html": "panel of /me/",
    "symptoms/panels/overdue.html": "panel of /staff/",
    "symptoms/panels/no_recipients.html": "panel of /staff/ (only when no clinician can receive alert emails)",
    "scheduling/panels/record.html": "section of the patient record (portal/patient_record.html)",
    "screening/panels/record.html": "section of the patient record (portal/patient_record.html)",
    "symptoms/panels/record.html": "section of the patient record (portal/patient_record.html)",
    # Messages: email bodies (and their shared parts), never shown in the browser.
    "emails/invitation.html": "email",
    "registration/password_reset_email.html": "email (plain text)",
    "screening/emails/confirmation.html": "email",
    "screening/emails/owner_confirm.html": "email",
    "screening/emails/consent_copy.html": "email",
    "scheduling/notifications/email_base.html": "email layout",
    "scheduling/notifications/booking_confirmation.html": "email",
    "scheduling/notifications/cancelled.html": "email",
    "scheduling/notifications/morning_reminder.html": "email",
    "scheduling/notifications/no_driving.html": "email",
    "scheduling/notifications/reminder.html": "email",
    "scheduling/notifications/rescheduled.html": "email",
    "scheduling/notifications/review_due.html": "email",
    "scheduling/notifications/review_due_clinicians.html": "email",
    "scheduling/notifications/_no_driving_body.html": "part of the no-driving email and notice",
    "scheduling/notifications/_preparation.html": "part of the reminder emails and the patient's session page",
    "scheduling/notifications/_session_list.html": "part of the course emails",
    "scheduling/notifications/no_driving_notice.html": "printable fragment included by scheduling/my_session.html",
}
# Two-factor sign-in pages for staff are being added; the lead adds them to the sweep.
# Pages another browser journey already checks with axe at 1280 and 320 px (its own states are
# easier to reach there: a one-time code, a fresh set of recovery codes).
SWEPT_BY_JOURNEY = {
    "registration/two_factor_setup.html": "tests/e2e/test_two_factor_journey.py",
    "registration/two_factor_codes.html": "tests/e2e/test_two_factor_journey.py",
    "registration/two_factor_manage.html": "tests/e2e/test_two_factor_journey.py",
    "registration/two_factor_verify.html": "tests/e2e/test_two_factor_journey.py",
    "registration/two_factor_setup_link.html": "tests/e2e/test_two_factor_journey.py",
    "registration/_two_factor_code_field.html": "partial of the two-step pages (tests/e2e/test_two_factor_journey.py)",
    "registration/_two_factor_password_field.html": "partial of two_factor_manage.html and two_factor_setup.html",
    # The chair board shows today's sessions: the journey makes one today and walks its steps.
    "scheduling/board.html": "tests/e2e/test_treatment_day_journey.py",
    "scheduling/_board_rows.html": "partial of the chair board (tests/e2e/test_treatment_day_journey.py)",
}


def template_files() -> set[str]:
    """Every template under templates/ and under each of the project's own apps' templates/."""
    roots = [Path(d) for engine in django_settings.TEMPLATES for d in engine.get("DIRS", [])]
    base = Path(django_settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        app_path = Path(config.path).resolve()
        if base in app_path.parents and ".venv" not in app_path.parts:
            roots.append(app_path / "templates")
    names = set()
    for root in roots:
        if root.is_dir():
            names |= {path.relative_to(root).as_posix() for path in root.rglob("*.html")}
    return names


def test_every_page_template_is_swept():
    files = template_files()
    not_swept = files - SWEPT_TEMPLATES - set(EXCLUDED_TEMPLATES) - set(SWEPT_BY_JOURNEY)
    assert not not_swept, (
        f"Page templates the accessibility sweep never renders: {sorted(not_swept)}. Visit each in "
        "tests/e2e/test_a11y_sweep.py (and add it to its role's set), or list it in EXCLUDED_TEMPLATES with the reason."
    )
    stale = (SWEPT_TEMPLATES | set(EXCLUDED_TEMPLATES) | set(SWEPT_BY_JOURNEY)) - files
    assert not stale, f"The sweep names templates that do not exist any more: {sorted(stale)}"
    assert not SWEPT_TEMPLATES & set(EXCLUDED_TEMPLATES), "A template is both swept and excluded."


# --- The sweep machinery ------------------------------------------------------------------


@dataclass
class Sweep:
    browser: object
    base_url: str
    axe: object
    expected: set[str]
    rendered: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    checks: int = 0

    def record(self, sender, template, context, **kwargs):
        self.rendered.append(template.name)

    def open(self):
        context = self.browser.new_context(base_url=self.base_url, viewport=VIEWPORTS["1280px"])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        self.rendered.clear()
        return page

    def axe_violations(self, page) -> list[dict]:
        # axe-core is injected once per page load and run at each width; only violations come back.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe.axe_script)
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        return page.evaluate("options => axe.run(document, options).then(results => results.violations)", options)

    def check(self, page, template: str, label: str = ""):
        """Check the page as it is now at each width; `template` must be the one that rendered it."""
        page.wait_for_load_state("load")
        where = f"{label or template} ({page.url.removeprefix(self.base_url)})"
        self.checks += 1
        assert template in self.expected, f"{template} is not in this role's template set"
        rendered, self.rendered[:] = list(self.rendered), []
        if template not in rendered:
            self.failures.append(f"{where}: expected {template} to render, rendered {rendered}")
            return
        self.visited.add(template)
        if not template.startswith(ADMIN_PREFIXES):
            headings = page.locator("h1").count()
            if headings != 1:
                self.failures.append(f"{where}: {headings} <h1> elements, want exactly one")
        for width, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            for violation in self.axe_violations(page):
                targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
                self.failures.append(
                    f"[{width}] {where}: axe {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}"
                )
            if size["width"] == 320:
                cramped = page.evaluate(CRAMPED_CELLS_JS)
                if cramped:
                    self.failures.append(f"[{width}] {where}: table cells too narrow to read: {cramped}")
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > 320 + REFLOW_TOLERANCE:
                    wide = page.evaluate(WIDEST_ELEMENTS_JS)
                    self.failures.append(f"[{width}] {where}: reflow: page is {scroll_width}px wide; too wide: {wide}")
        page.set_viewport_size(VIEWPORTS["1280px"])
        csp = [error for error in self.console_errors if "Content Security Policy" in error]
        if csp:
            self.failures.append(f"{where}: CSP refusals: {csp}")
        self.console_errors.clear()

    def assert_clean(self):
        missing = self.expected - self.visited
        if missing:
            self.failures.append(f"templates of this role never checked: {sorted(missing)}")
        if self.failures:
            pytest.fail(f"{len(self.failures)} problem(s) in {self.checks} page checks:\n" + "\n".join(self.failures))


# Table cells squeezed to a few characters a line at 320 px ("N/o"): a table there must stack or
# scroll sideways in its own region (issue 16). Cells in a region that scrolls are left alone.
CRAMPED_CELLS_JS = """() => {
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  const out = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const text = cell.innerText.trim();
    // A visually hidden header row (1 px, for screen readers) is not read on screen.
    const width = cell.getBoundingClientRect().width;
    if (text.length > 3 && width > 2 && width < 48 && !scrolls(cell)) out.push(text.slice(0, 30));
  }
  return out.slice(0, 6);
}"""


# The outermost elements that stick out past the right edge of a 320 px viewport (content inside
# a sideways-scrolling region is the region's business), each with its chain of parents.
WIDEST_ELEMENTS_JS = """() => {
  const describe = el => {
    const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}`;
  };
  const clipped = el => {
    // Positioned out of flow, an element escapes the clipping of a region that is not positioned.
    if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const sticksOut = el => el.getBoundingClientRect().right > 321 && !clipped(el);
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (sticksOut(el) && !(el.parentElement && sticksOut(el.parentElement))) {
      const chain = [];
      for (let p = el; p && p !== document.body; p = p.parentElement) chain.push(`${describe(p)}:${Math.round(p.getBoundingClientRect().width)}`);
      out.push(`${describe(el)} (right ${Math.round(r.right)}px) in ${chain.slice(1).join(' < ')}`);
    }
  }
  return out.slice(0, 6);
}"""


def sweep_for(expected, browser, live_server, axe):
    sweep = Sweep(browser=browser, base_url=live_server.url, axe=axe, expected=expected)
    template_rendered.connect(sweep.record, dispatch_uid="a11y-sweep")
    return sweep


@pytest.fixture
def make_sweep(browser, live_server, axe):
    sweeps = []

    def make(expected):
        sweeps.append(sweep_for(expected, browser, live_server, axe))
        return sweeps[-1]

    yield make
    template_rendered.disconnect(dispatch_uid="a11y-sweep")


def walk(sweep, journey, *args):
    """Run `journey` in one browser context; each page state is checked at both widths."""
    page = sweep.open()
    try:
        journey(page, sweep, *args)
    finally:
        page.context.close()
    sweep.assert_clean()


def submit(page, action: str | None = None):
    """Submit the form posting to `action` (default: the page's first form) as it is (the forms
    are novalidate, so the server's own validation answers), and wait for the answer."""
    form = f'main form[action="{action}"]' if action else "main form"
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").first.click()


# --- The clinic, as each role should see it -------------------------------------------------


@pytest.fixture
def world(patient, front_desk, clinician, settings):
    return sweep_world(patient=patient, front_desk=front_desk, clinician=clinician, settings=settings)


# --- Anonymous visitors ---------------------------------------------------------------------


def _answer_every_step(page):
    while page.locator("fieldset[data-question]").count():
        for fieldset in page.locator("fieldset[data-question]").all():
            answer = "Yes" if fieldset.get_attribute("data-question") == "epilepsy" else "No"
            fieldset.get_by_label(answer, exact=True).check()
        with page.expect_navigation():
            page.locator('main button[name="action"][value="next"]').click()


def _fill_send_form(page):
    page.get_by_label("First name").fill("Erin")
    page.get_by_label("Last name").fill("Ellis")
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Date of birth").fill("1985-06-15")
    page.get_by_label("I agree that the clinic may store").check()


def anonymous_journey(page, sweep, world, settings):
    page.goto("/")
    sweep.check(page, "portal/home.html", "home")
    page.goto("/learn/")
    sweep.check(page, "education/index.html")
    page.goto("/learn/ketamine-infusion/")
    sweep.check(page, "education/guide.html", "the guide")
    page.goto("/learn/no-such-guide/")
    sweep.check(page, "education/guide_not_found.html")

    # Error pages, as the server sends them.
    page.goto("/no-such-page/")
    sweep.check(page, "404.html")
    page.goto("/accounts/keepalive/")  # POST only
    sweep.check(page, "405.html")
    # More query fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses the request (400).
    fields = "&".join(f"f{n}=1" for n in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = page.goto(f"/accounts/login/?{fields}")
    assert response.status == 400
    sweep.check(page, "400.html", "too many fields")
    page.goto("/a11y-sweep/server-error/")
    sweep.check(page, "500.html")

    # The self-screening, its errors, the rate limit and the thank-you page.
    page.goto("/screening/")
    sweep.check(page, "screening/start.html")
    submit(page, "/screening/")
    sweep.check(page, "screening/step.html", "step 1")
    with page.expect_navigation():
        page.locator('main button[name="action"][value="next"]').click()
    sweep.check(page, "screening/step.html", "step 1 with errors")
    _answer_every_step(page)
    sweep.check(page, "screening/result.html")
    submit(page, "/screening/send/")
    sweep.check(page, "screening/send.html", "send form with errors")
    _fill_send_form(page)
    settings.SCREENING_SUBMISSIONS_PER_HOUR = 0
    submit(page, "/screening/send/")
    settings.SCREENING_SUBMISSIONS_PER_HOUR = 1000
    sweep.check(page, "screening/rate_limited.html")
    page.goto("/screening/send/")
    _fill_send_form(page)
    submit(page, "/screening/send/")
    sweep.check(page, "screening/sent.html")

    # Signing in, a wrong password, and the pause after too many.
    page.goto("/accounts/login/")
    sweep.check(page, "registration/login.html")
    sign_in(page, "nobody@example.com", "not-the-password")
    page.wait_for_load_state("load")
    sweep.check(page, "registration/login.html", "sign-in error")
    for _ in range(django_settings.AXES_FAILURE_LIMIT + 1):
        sign_in(page, "locked@example.com", "not-the-password")
        page.wait_for_load_state("load")
        if "registration/locked_out.html" in sweep.rendered:
            break
    sweep.check(page, "registration/locked_out.html")

    # Password reset, from asking for the link to the end.
    page.goto("/accounts/password_reset/")
    sweep.check(page, "registration/password_reset_form.html")
    page.get_by_label("Email").fill("not an email")
    submit(page)
    sweep.check(page, "registration/password_reset_form.html", "reset form with errors")
    page.get_by_label("Email").fill(world.patient.email)
    submit(page)
    sweep.check(page, "registration/password_reset_done.html")
    user = world.patient.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/")
    sweep.check(page, "registration/password_reset_confirm.html", "new password form")
    page.locator("#id_new_password1").fill("a-long-new-password-1")
    page.locator("#id_new_password2").fill("a-different-password-2")
    submit(page)
    sweep.check(page, "registration/password_reset_confirm.html", "new password form with errors")
    page.goto(f"/accounts/reset/{uid}/not-a-valid-token/")
    sweep.check(page, "registration/password_reset_confirm.html", "expired reset link")
    page.goto("/accounts/reset/done/")
    sweep.check(page, "registration/password_reset_complete.html")

    # A patient's invitation to make an account.
    page.goto(f"/accounts/invite/{world.invitation_token}/")
    sweep.check(page, "registration/invitation_accept.html")
    submit(page)
    sweep.check(page, "registration/invitation_accept.html", "invitation form with errors")
    page.goto("/accounts/invite/not-a-real-token/")
    sweep.check(page, "registration/invitation_invalid.html")
    # The link that asks an email's owner to confirm a screening sent with their address.
    page.goto("/screening/confirm/not-a-real-link/")
    sweep.check(page, "screening/confirm.html", "a link that does not work")

    # A form sent after the CSRF cookie is gone (last: it drops the browser's cookies).
    page.goto("/accounts/login/")
    page.context.clear_cookies()
    sign_in_form = page.locator("main form").first
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("whatever")
    with page.expect_navigation():
        sign_in_form.locator("[type=submit]").click()
    sweep.check(page, "403_csrf.html")


@pytest.mark.django_db(transaction=True)
def test_anonymous_pages_are_accessible_at_both_widths(make_sweep, world, settings):
    walk(make_sweep(ANONYMOUS_TEMPLATES), anonymous_journey, world, settings)


# --- A patient ------------------------------------------------------------------------------


def patient_journey(page, sweep, world, password):
    sign_in(page, world.patient.email, password)
    page.wait_for_url("**/me/")
    sweep.check(page, "portal/me.html", "my portal")
    page.evaluate("document.querySelectorAll('form[action=\"/me/channel/\"] input[type=radio]')"
                  ".forEach(radio => { radio.checked = false; })")
    submit(page, "/me/channel/")
    sweep.check(page, "portal/me.html", "my portal, contact choice with errors")
    page.goto("/me/intake/")
    sweep.check(page, "screening/intake_review.html", "intake, not started")
    page.goto("/me/intake/reasons/")
    sweep.check(page, "screening/intake_step.html", "intake step 1")
    page.get_by_label("Your date of birth").fill("2999-01-01")
    submit(page)
    sweep.check(page, "screening/intake_step.html", "intake step with errors")
    page.goto(f"/me/sessions/{world.session.pk}/")
    sweep.check(page, "scheduling/my_session.html")
    page.goto("/me/")
    sweep.rendered.clear()
    submit(page, "/me/calendar/subscription/")
    sweep.check(page, "scheduling/subscription.html")

    page.goto("/symptoms/")
    sweep.check(page, "symptoms/home.html")
    page.goto(f"/symptoms/{world.review.pk}/")
    sweep.check(page, "symptoms/result.html", "PHQ-9 result with the alert")
    page.goto(f"/symptoms/answer/{world.review_point.pk}/")
    sweep.check(page, "symptoms/answer.html")
    submit(page)
    sweep.check(page, "symptoms/answer.html", "PHQ-9 with errors")
    page.goto(f"/screening/{world.own_screening.pk}/")
    sweep.check(page, "screening/detail.html", "my screening")

    page.goto("/screening/consent/")
    sweep.check(page, "screening/consent.html", "the consent form to sign")
    submit(page, "/screening/consent/")
    sweep.check(page, "screening/consent.html", "consent form with errors")
    page.get_by_label("Your full name").fill(world.patient.full_name)
    page.get_by_label("I have read this form and agree").check()
    submit(page, "/screening/consent/")
    sweep.check(page, "screening/consent_copy.html", "the signed copy")

    page.goto("/staff/")
    sweep.check(page, "403.html")

    # Signing out redirects to LOGOUT_REDIRECT_URL; Django's LogoutView shows logged_out.html only
    # when the posted `next` is the sign-out address itself. No page of the portal posts that.
    page.evaluate("""() => {
      const form = document.querySelector('header form[action="/accounts/logout/"]');
      const next = document.createElement('input');
      Object.assign(next, {type: 'hidden', name: 'next', value: '/accounts/logout/'});
      form.append(next);
    }""")
    with page.expect_navigation():
        page.locator('header form[action="/accounts/logout/"] [type=submit]').click()
    sweep.check(page, "registration/logged_out.html")



@pytest.mark.django_db(transaction=True)
def test_patient_pages_are_accessible_at_both_widths(make_sweep, world, password):
    walk(make_sweep(PATIENT_TEMPLATES), patient_journey, world, password)


# --- The front desk -------------------------------------------------------------------------


def front_desk_journey(page, sweep, world, password):
    sign_in(page, world.front_desk.email, password)
    page.wait_for_url("**/staff/")
    sweep.check(page, "portal/staff.html", "front desk dashboard")

    page.goto("/staff/book/")
    sweep.check(page, "scheduling/book.html", "booking form")
    page.locator("#id_patient").select_option(str(world.bea.pk))
    page.get_by_label("First day").fill(world.monday.isoformat())
    page.get_by_label("Preferred start time").fill("16:00")
    submit(page, "/staff/book/")
    sweep.check(page, "scheduling/book.html", "booking form with errors")
    page.get_by_label("Preferred start time").fill("10:00")
    submit(page, "/staff/book/")
    sweep.check(page, "scheduling/book.html", "proposed sessions")

    page.goto("/staff/patients/register/")
    sweep.check(page, "scheduling/register.html")
    submit(page)
    sweep.check(page, "scheduling/register.html", "register form with errors")

    page.goto("/staff/closed-days/")
    submit(page, "/staff/closed-days/")
    sweep.check(page, "scheduling/closed_days.html", "closed days with errors")
    page.get_by_label("Day the clinic is closed").fill((world.monday + dt.timedelta(days=30)).isoformat())
    page.get_by_label("Reason (optional)").fill("Staff training")
    submit(page, "/staff/closed-days/")
    sweep.check(page, "scheduling/closed_days.html", "closed days with one added")

    page.goto(f"/staff/day/{world.monday.isoformat()}/")
    sweep.check(page, "scheduling/day.html")
    page.goto(f"/staff/week/{world.monday.isoformat()}/")
    sweep.check(page, "scheduling/week.html")
    page.goto(f"/staff/sessions/{world.session.pk}/")
    sweep.check(page, "scheduling/session.html")
    submit(page, f"/staff/sessions/{world.session.pk}/cancel/")
    sweep.check(page, "scheduling/session.html", "cancel with errors")
    page.goto(f"/staff/courses/{world.course.pk}/")
    sweep.check(page, "scheduling/course.html")
    submit(page, f"/staff/courses/{world.course.pk}/cancel-rest/")
    sweep.check(page, "scheduling/course.html", "cancel the rest with errors")

    page.goto("/staff/notifications/")
    sweep.check(page, "scheduling/notifications/staff_attention.html")
    page.goto(f"/staff/notifications/patients/{world.patient.pk}/")
    sweep.check(page, "scheduling/notifications/staff_log.html")
    page.goto(f"/symptoms/patient/{world.patient.pk}/")
    sweep.check(page, "symptoms/patient_chart.html", "PHQ-9 chart, front desk")
    page.goto(f"/screening/consent/patient/{world.bea.pk}/sign/")
    sweep.check(page, "screening/consent_staff.html", "consent on the clinic tablet")
    submit(page, f"/screening/consent/patient/{world.bea.pk}/sign/")
    sweep.check(page, "screening/consent_staff.html", "tablet consent with errors")

    page.goto("/staff/patients/?q=%25_%27")
    sweep.check(page, "portal/patient_search.html", "search with junk")
    page.goto("/staff/patients/?q=archer")
    sweep.check(page, "portal/patient_search.html", "search results")
    page.goto(f"/staff/patients/{world.patient.pk}/")
    sweep.check(page, "portal/patient_record.html", "patient record, front desk")
    page.goto(f"/staff/patients/{world.patient.pk}/edit/")
    sweep.check(page, "portal/patient_edit.html")
    page.get_by_label("Date of birth").fill("2999-01-01")
    submit(page)
    sweep.check(page, "portal/patient_edit.html", "details with errors")


@pytest.mark.django_db(transaction=True)
def test_front_desk_pages_are_accessible_at_both_widths(make_sweep, world, password):
    walk(make_sweep(FRONT_DESK_TEMPLATES), front_desk_journey, world, password)


# --- A clinician ----------------------------------------------------------------------------


def clinician_journey(page, sweep, world, password):
    from education.models import Guide

    sign_in(page, world.clinician.email, password)
    page.wait_for_url("**/staff/")
    sweep.check(page, "portal/staff.html", "clinician dashboard with referral and alert")
    page.goto(f"/screening/{world.referral.pk}/")
    sweep.check(page, "screening/detail.html", "referral awaiting review")
    submit(page, f"/screening/{world.referral.pk}/decide/")
    sweep.check(page, "screening/detail.html", "decision with errors")
    page.goto(f"/symptoms/patient/{world.patient.pk}/")
    sweep.check(page, "symptoms/patient_chart.html", "PHQ-9 chart with the open alert")
    alert_form = page.locator('main form[action*="/symptoms/alerts/"]').first
    with page.expect_navigation():
        alert_form.locator("[type=submit]").click()
    sweep.check(page, "symptoms/patient_chart.html", "alert review with errors")
    page.goto("/staff/patients/?q=archer")
    sweep.check(page, "portal/patient_search.html", "search results, clinician")
    page.goto(f"/staff/patients/{world.patient.pk}/")
    sweep.check(page, "portal/patient_record.html", "patient record with trend, alert and notes")

    guide = Guide.objects.get(slug="ketamine-infusion")
    page.goto(f"/admin/education/guide/{guide.pk}/change/")
    sweep.check(page, "education/admin/guide_change_form.html")
    page.goto(f"/admin/education/guide/{guide.pk}/preview/")
    sweep.check(page, "education/guide.html", "draft preview")

    page.goto("/admin/screening/consentversion/add/")
    sweep.check(page, "screening/admin/consentversion_change_form.html", "a new consent draft")
    page.get_by_label("What changed").fill("Clearer words about the ride home.")
    with page.expect_navigation():
        page.locator('input[name="_continue"]').click()
    page.goto(page.url.replace("/change/", "/preview/"))
    sweep.check(page, "screening/consent_copy.html", "consent draft preview")


@pytest.mark.django_db(transaction=True)
def test_clinician_pages_are_accessible_at_both_widths(make_sweep, world, password):
    walk(make_sweep(CLINICIAN_TEMPLATES), clinician_journey, world, password)
