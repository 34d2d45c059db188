import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import Chair, Session
from tests.factories import SessionFactory


@pytest.fixture
def review_session(db):
    """Makes a session marked as a review point (as the 5th session of a course would be)."""

    def make(patient, *, ended_days_ago: float = 1, chair_name: str = "Chair S") -> Session:
        chair, _ = Chair.objects.get_or_create(name=chair_name)
        start = timezone.now() - dt.timedelta(days=ended_days_ago, hours=1)
        return SessionFactory(
            patient=patient,
            chair=chair,
            start=start,
            course__first_day=start.date(),
            course__weeks=3,
            course__start_time=dt.time(9, 0),
            review_due=True,
        )

    return make
