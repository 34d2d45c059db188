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


@time_machine.travel(dt.datetime(2026, 2, 20, 12, tzinfo=dt.UTC), tick=False)
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


@time_machine.travel(dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 12, 9), "Wednesday, December 9"),
        (dt.date(2027, 1, 4), "Monday, January 4, 2027"),  # next year, however near
        (dt.date(2026, 8, 3), "Monday, August 3, 2026"),  # months ago: which August?
        (dt.date(2026, 10, 5), "Monday, October 5"),
    ],
)
def test_a_date_names_its_year_when_a_patient_could_misplace_it(new_york, day, text):
    assert clock.day_text(day, "l, F j", tz=NY) == text


@time_machine.travel(dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC), tick=False)
def test_a_moment_next_year_names_its_year_in_messages(new_york):
    assert clock.clock_text(dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC)) == "10:00 AM on Tuesday, January 5, 2027"


def test_the_day_filter_is_in_every_template_and_reads_the_clinic_zone(new_york):
    from django.template import engines
    from django.utils import timezone

    template = engines["django"].from_string('{{ moment|day:"l, F j" }} {{ moment|time:"H:i" }}')
    with time_machine.travel(LATE_EVENING, tick=False):
        clock.clinic_zone_activate()
        try:
            assert template.render({"moment": LATE_EVENING}) == "Tuesday, March 3 23:00"
        finally:
            timezone.deactivate()


def test_the_lazy_clinic_zone_reads_the_settings_once_and_converts_like_zoneinfo(new_york, django_assert_num_queries):
    zone = clock.ClinicZone()
    with django_assert_num_queries(1):
        assert LATE_EVENING.astimezone(zone).strftime("%H:%M %Z") == "23:00 EST"
        summer = dt.datetime(2026, 7, 1, 3, 30, tzinfo=dt.UTC).astimezone(zone)
    assert (summer.hour, summer.utcoffset()) == (23, dt.timedelta(hours=-4))
    assert str(zone) == "America/New_York"
    # Across the autumn change, 1:30 AM happens twice: the two readings keep their offsets.
    first = dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC).astimezone(zone)
    second = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC).astimezone(zone)
    assert first.strftime("%H:%M") == second.strftime("%H:%M") == "01:30"
    assert first.utcoffset() != second.utcoffset()


def test_every_request_is_shown_in_clinic_time_and_the_thread_keeps_nothing(client, new_york):
    from django.utils import timezone

    client.get("/healthz")
    assert timezone.get_current_timezone_name() == "UTC"
