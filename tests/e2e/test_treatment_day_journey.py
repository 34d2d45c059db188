"""The treatment day in the browser: the front desk checks a patient in on the chair board, a
clinician starts, ends and discharges the infusion, and the patient's session page names the
same no-driving time as the email. axe-core checks the board at 1280 and 320 px."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from portal.clock import clinic_tz
from scheduling.models import Notification, Session
from scheduling.notifications.dispatch import notifications_dispatch
from screening.services import consent_sign
from tests.e2e.helpers import sign_in
from tests.scheduling.helpers import make_session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_wakeups(settings):
    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False


def _hhmm(moment: dt.datetime) -> str:
    return moment.astimezone(clinic_tz()).strftime("%H:%M")


def _record(page, session, step: str, button: str, at: dt.datetime):
    row = page.locator(f"tr[data-session='{session.pk}']")
    row.get_by_label("Time").fill(_hhmm(at))
    row.get_by_role("button", name=button).click()
    page.wait_for_url("**/staff/board/")


def test_front_desk_checks_in_a_clinician_discharges_and_the_page_matches_the_email(
    browser, live_server, page, narrow_page, patient, front_desk, clinician, password, assert_accessible,
    csp_violations,
):
    now = timezone.now()
    session = make_session(patient, now - dt.timedelta(minutes=30))
    consent_sign(patient=patient, signed_name=patient.full_name)

    # The front desk checks Alice in, with her answers and who takes her home.
    sign_in(page, front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.get_by_role("link", name="Chair board: check in, infusion times, discharge").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chair board")
    row = page.locator(f"tr[data-session='{session.pk}']")
    expect(row).to_contain_text("Late: not checked in")
    assert_accessible(page, context="chair board, before check-in")
    row.get_by_text("Check in").first.click()  # opens the check-in form
    row.get_by_label("Time").fill(_hhmm(now - dt.timedelta(minutes=8)))
    row.get_by_label("Bladder emptied?").select_option("yes")
    row.get_by_label("No alcohol or recreational drugs in the last 12 hours?").select_option("yes")
    row.get_by_label("Who takes them home").fill("Sam Archer")
    row.get_by_label("Their phone").fill("(555) 010-0199")
    assert_accessible(page, context="chair board, check-in form open")
    row.get_by_role("button", name="Check in").click()
    page.wait_for_url("**/staff/board/")
    expect(page.locator(f"tr[data-session='{session.pk}'] [data-stage-label]")).to_have_text("Arrived")

    # A clinician starts, ends and discharges.
    clinician_page = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    sign_in(clinician_page, clinician.email, password)
    clinician_page.wait_for_url("**/staff/")
    clinician_page.goto("/staff/board/")
    _record(clinician_page, session, "start", "Start infusion", now - dt.timedelta(minutes=6))
    expect(clinician_page.locator(f"tr[data-session='{session.pk}'] [data-stage-label]")).to_have_text("Infusing")
    _record(clinician_page, session, "end", "End infusion", now - dt.timedelta(minutes=2))
    assert_accessible(clinician_page, context="chair board, recovering")
    clinician_page.locator(f"tr[data-session='{session.pk}']").get_by_role("button", name="Discharge", exact=True).click()
    clinician_page.wait_for_url("**/staff/board/")
    expect(clinician_page.locator(f"tr[data-session='{session.pk}'] [data-stage-label]")).to_have_text("Discharged")

    # The notice goes at discharge; the page and the email name the one stored time.
    assert notifications_dispatch() == 1
    # The subject says only who wrote (a lock screen shows it); the body says what.
    notice = Notification.objects.get(session=session, kind=Notification.Kind.NO_DRIVING, status="sent")
    (email,) = [m for m in mail.outbox if m.extra_headers.get("X-Notification-ID") == str(notice.pk)]
    assert "drive" not in email.subject
    session = Session.objects.get(pk=session.pk)
    until = session.no_driving_until.astimezone(clinic_tz())
    until_text = f"{until:%-I:%M %p}"
    assert f"until {until_text}" in email.body

    narrow_page.goto("/")
    sign_in(narrow_page, patient.user.email, password)
    narrow_page.wait_for_url("**/me/")
    narrow_page.goto(f"/me/sessions/{session.pk}/")
    expect(narrow_page.get_by_role("heading", name=f"Do not drive until {until_text}", exact=False)).to_be_visible()
    assert_accessible(narrow_page, context="patient's session page, 320 px")

    narrow_clinician = browser.new_context(base_url=live_server.url, viewport={"width": 320, "height": 640}).new_page()
    sign_in(narrow_clinician, clinician.email, password)
    narrow_clinician.wait_for_url("**/staff/")
    narrow_clinician.goto("/staff/board/")
    assert_accessible(narrow_clinician, context="chair board, 320 px")
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations
