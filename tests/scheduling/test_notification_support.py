"""Shared helpers for the notification tests (no tests here): sessions made directly,
without the booking service, so these tests stand on their own."""

import datetime as dt
import zoneinfo

import pytest

from portal.models import ClinicSettings
from scheduling.models import Chair, Course, Session
from scheduling.notifications import sms

NY = zoneinfo.ZoneInfo("America/New_York")


def clinic_time(year, month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def make_session(patient, start: dt.datetime, *, course=None, chair=None, review_due=False, minutes=60) -> Session:
    chair = chair or Chair.objects.get_or_create(name="Chair 1")[0]
    if course is None:
        local = start.astimezone(NY)
        course = Course.objects.create(
            patient=patient, first_day=local.date(), sessions_per_week=2, weeks=1, start_time=local.time()
        )
    clinic = ClinicSettings.load()
    end = start + dt.timedelta(minutes=minutes)
    return Session.objects.create(
        course=course,
        patient=patient,
        chair=chair,
        start=start,
        end=end,
        occupied_until=end + dt.timedelta(minutes=clinic.recovery_minutes),
        review_due=review_due,
    )


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _quiet_dispatcher_wakeups(settings):
    # Waking a worker after commit is tested on its own; elsewhere it would only queue
    # tasks in Redis for a worker that is not there.
    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False
