"""Demo data: the clinic's settings and opening hours, six chairs, and a booked
course for the demo patient (cleared by screening/demo.py). Idempotent."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.clock import clinic_today
from portal.models import ClinicSettings
from scheduling.holidays import us_federal_holidays
from scheduling.models import Chair, ClosedDay, OpeningHours, Session
from scheduling.services import course_book

CHAIRS = 6
DEMO_START = dt.time(10, 0)
# Look this many days ahead for the first day on which the whole course fits.
SEARCH_DAYS = 28


def seed(*, personas, stdout):
    from portal.models import Role

    clinic = ClinicSettings.load()
    if not clinic.opening_hours.exists():
        for weekday in range(5):
            OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens=dt.time(8), closes=dt.time(18))
    for number in range(1, CHAIRS + 1):
        Chair.objects.get_or_create(name=f"Chair {number}", defaults={"order": number})
    # Closed on the US federal holidays of this year and the next (the demo course skips them).
    this_year = clinic_today(clinic.tz).year
    for year in (this_year, this_year + 1):
        for day, name in us_federal_holidays(year):
            ClosedDay.objects.get_or_create(clinic=clinic, date=day, defaults={"reason": name})

    patient = personas["patient_record"]
    if Session.objects.filter(patient=patient).not_cancelled().filter(start__gte=timezone.now()).exists():
        return
    today = clinic_today(clinic.tz)
    last_error = None
    # Three a week where every week of the course has room around the holidays, else two.
    for per_week, offset in ((per_week, offset) for per_week in (3, 2) for offset in range(1, SEARCH_DAYS + 1)):
        first_day = today + dt.timedelta(days=offset)
        try:
            course = course_book(
                patient=patient, first_day=first_day, sessions_per_week=per_week, weeks=6, start_time=DEMO_START,
                booked_by=personas.get(Role.FRONT_DESK),
            )
        except ValidationError as exc:
            last_error = exc
            continue
        stdout.write(f"Booked a demo course of {course.sessions.count()} sessions from {first_day:%Y-%m-%d}.")
        return
    stdout.write(f"No demo course booked: {' '.join(last_error.messages) if last_error else 'no opening day'}")
