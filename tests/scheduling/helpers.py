"""Constants and helpers shared by the scheduling tests (no tests and no fixtures here;
the fixtures are in conftest.py)."""

import datetime as dt
import zoneinfo

from scheduling.models import Session
from screening.models import Clearance
from tests.factories import SessionFactory

NY = zoneinfo.ZoneInfo("America/New_York")
# A Friday: the next Monday is 2026-12-07.
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=NY)
MONDAY = dt.date(2026, 12, 7)


def clear(patient, clinician):
    Clearance.objects.create(patient=patient, clinician=clinician, note="Cleared in a test.")
    return patient


def clinic_time(year, month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def make_session(patient, start: dt.datetime, *, course=None, chair=None, review_due=False, minutes=60) -> Session:
    """A session made directly, without the booking service, so a test stands on its own."""
    extra = {key: value for key, value in (("course", course), ("chair", chair)) if value is not None}
    return SessionFactory(patient=patient, start=start, review_due=review_due, minutes=minutes, **extra)
