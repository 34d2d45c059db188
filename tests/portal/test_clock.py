"""The clinic's one clock (portal.clock) and what CLINIC_TIME_ZONE means: it seeds the
clinic settings' zone; after that the settings (the admin) decide."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from portal import clock
from portal.models import ClinicSettings

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
# 04:00 UTC on Wednesday, March 4, 2026 is still 11 PM on Tuesday, March 3 in New York.
LATE_EVENING = dt.datetime(2026, 3, 4, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def new_york():
    ClinicSettings.objects.update_or_create(pk=1, defaults={"time_zone": "America/New_York"})


def test_clock_text_names_the_moment_as_the_clinic_says_it(new_york):
    assert clock.clock_text(LATE_EVENING) == "11:00 PM on Tuesday, March 3"
    assert clock.clock_text(LATE_EVENING, NY) == "11:00 PM on Tuesday, March 3"
    assert clock.clock_text(LATE_EVENING, zoneinfo.ZoneInfo("Europe/Lisbon")) == "4:00 AM on Wednesday, March 4"
    assert clock.clock_24h(LATE_EVENING) == "23:00"


def test_today_is_the_clinic_day_not_the_utc_day(new_york):
    with time_machine.travel(LATE_EVENING, tick=False):
        assert clock.clinic_today() == dt.date(2026, 3, 3)
        assert clock.clinic_now().tzinfo == NY
    assert clock.local_date(LATE_EVENING) == dt.date(2026, 3, 3)
    assert clock.day_start(dt.date(2026, 3, 3)) == dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC)


def test_clinic_time_zone_seeds_a_new_clinic_and_the_settings_decide_after(settings):
    ClinicSettings.objects.all().delete()
    settings.CLINIC_TIME_ZONE = "America/Chicago"
    assert ClinicSettings.load().time_zone == "America/Chicago"
    assert str(clock.clinic_tz()) == "America/Chicago"

    ClinicSettings.objects.filter(pk=1).update(time_zone="America/Denver")  # the admin changes it
    settings.CLINIC_TIME_ZONE = "Europe/Lisbon"  # a later deploy's environment does not
    assert str(clock.clinic_tz()) == "America/Denver"


def test_a_clinic_made_afresh_opens_on_the_default_hours():
    ClinicSettings.objects.all().delete()
    clinic = ClinicSettings.load()
    assert [(h.weekday, h.opens, h.closes) for h in clinic.opening_hours.all()] == [
        (weekday, dt.time(8), dt.time(18)) for weekday in range(5)
    ]


def test_an_unknown_time_zone_is_refused_with_a_message(new_york):
    clinic = ClinicSettings.load()
    clinic.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError) as refused:
        clinic.full_clean()
    assert "not a known time zone" in str(refused.value)
