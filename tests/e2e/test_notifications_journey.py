"""The front desk finds a message that could not be sent, opens the patient's log and resends it."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import Patient
from scheduling.models import Notification
from scheduling.notifications.plan import notifications_plan
from tests.e2e.helpers import sign_in
from tests.scheduling.helpers import make_session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_wakeups(settings):
    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False


def test_the_front_desk_resends_a_failed_reminder_from_the_patient_log(
    page, front_desk, password, patient, assert_accessible, csp_violations
):
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    session = make_session(patient, start)
    unreachable = Patient.objects.create(first_name="Una", last_name="Reach", email="", phone="")
    notifications_plan(sessions=[session, make_session(unreachable, start + dt.timedelta(days=1))])
    reminder = session.notifications.get(kind=Notification.Kind.REMINDER)
    Notification.objects.filter(pk=reminder.pk).update(
        status=Notification.Status.FAILED, attempts=5, last_error="SMTPDataError: 451 try again later"
    )
    Notification.objects.filter(session__patient=patient).exclude(pk=reminder.pk).update(
        status=Notification.Status.SENT, sent_at=timezone.now()
    )

    sign_in(page, front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.goto("/staff/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages that need attention")
    expect(page.get_by_role("row", name="Una Reach").first).to_contain_text("Undeliverable")
    assert_accessible(page, context="messages needing attention")

    page.get_by_role("link", name="Alice Archer").click()
    page.wait_for_url(f"**/staff/patients/{patient.pk}/")
    page.get_by_role("link", name="Every message, with resend").click()
    page.wait_for_url(f"**/staff/notifications/patients/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications for Alice Archer")
    failed_row = page.locator(f"tr[data-notification='{reminder.pk}']")
    expect(failed_row).to_contain_text("Failed")
    expect(failed_row).to_contain_text("5 attempts")
    assert_accessible(page, context="patient notification log")

    failed_row.get_by_role("button", name="Resend").click()
    expect(page.get_by_role("status")).to_contain_text("queued")
    expect(page.locator(f"tr[data-notification='{reminder.pk}']")).to_contain_text("Queued")
    assert_accessible(page, context="after resend")
    reminder.refresh_from_db()
    assert reminder.status == Notification.Status.PENDING
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations
