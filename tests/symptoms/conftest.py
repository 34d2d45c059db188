import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import Chair, Course, Session


@pytest.fixture
def review_session(db):
    """Makes a session marked as a review point (as the 5th session of a course would be)."""

    def make(patient, *, ended_days_ago: float = 1, chair_name: str = "Chair S") -> Session:
        chair, _ = Chair.objects.get_or_create(name=chair_name)
        start = timezone.now() - dt.timedelta(days=ended_days_ago, hours=1)
        course = Course.objects.create(
            patient=patient, first_day=start.date(), sessions_per_week=2, weeks=3, start_time=dt.time(9, 0)
        )
        return Session.objects.create(
            course=course, patient=patient, chair=chair, start=start, end=start + dt.timedelta(hours=1),
            occupied_until=start + dt.timedelta(hours=3), review_due=True,
        )

    return make
