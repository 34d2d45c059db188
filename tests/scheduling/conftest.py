"""Scheduling fixtures: the clinic as the migrations set it up (America/New_York,
Monday to Friday 08:00-18:00), six chairs, and a cleared patient.

Rows written by data migrations do not survive transactional tests (the tables
are flushed), so the clinic is (re)created here with get_or_create."""

import datetime as dt

import pytest
import time_machine

from portal.models import ClinicSettings
from scheduling.models import Chair, OpeningHours
from scheduling.notifications import sms
from tests.scheduling.helpers import NOW, clear


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic(db):
    settings, _ = ClinicSettings.objects.get_or_create(pk=1)
    settings.time_zone = "America/New_York"
    settings.infusion_minutes, settings.recovery_minutes, settings.min_clear_days = 60, 120, 1
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.update_or_create(
            clinic=settings, weekday=weekday, defaults={"opens": dt.time(8), "closes": dt.time(18)}
        )
    OpeningHours.objects.filter(clinic=settings, weekday__gte=5).delete()
    return settings


@pytest.fixture
def chairs(clinic):
    return [Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})[0] for n in range(1, 7)]


@pytest.fixture
def cleared_patient(patient, clinician):
    return clear(patient, clinician)


@pytest.fixture
def cleared_other_patient(other_patient, clinician):
    return clear(other_patient, clinician)


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def quiet_dispatcher_wakeups(settings):
    """Waking a worker after commit is tested on its own; elsewhere it would only queue
    tasks in Redis for a worker that is not there. The notification modules use it with
    `pytest.mark.usefixtures`."""
    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False
