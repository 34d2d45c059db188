"""Shared helpers for the notification tests (no tests here): sessions made directly,
without the booking service, so these tests stand on their own."""

import datetime as dt
import zoneinfo

import pytest

from scheduling.models import Session
from scheduling.notifications import sms
from tests.factories import SessionFactory

NY = zoneinfo.ZoneInfo("America/New_York")


def clinic_time(year, month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def make_session(patient, start: dt.datetime, *, course=None, chair=None, review_due=False, minutes=60) -> Session:
    extra = {key: value for key, value in (("course", course), ("chair", chair)) if value is not None}
    return SessionFactory(patient=patient, start=start, review_due=review_due, minutes=minutes, **extra)


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
