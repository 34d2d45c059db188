"""Booking latency with a full book: `course_book` p50/p95 on a database that
already holds 10,000 sessions on 6 chairs.

`run()` works inside one transaction that it rolls back at the end, so it leaves
nothing behind (audit events are append-only and patients are protected by them,
so deleting afterwards is not an option). Inside it, the clinic's own chairs are
switched off, six bench chairs are filled at 08:00 and 14:00 on every opening day
(each session holds its chair 180 minutes), and N courses of 18 sessions (3 a week
for 6 weeks, 11:00) are booked for N cleared patients on first days spread over
the filled years. Each booking is a savepoint rather than a commit, so the figure
leaves out the commit's fsync; everything else (locks, conflict reads, the
exclusion constraints, notification planning, audit) is real.

Target: p95 under 100 ms. The query count per booking is reported too: it must not
depend on the 10,000 sessions.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time

EXISTING = 10_000
CHAIRS = 6
FILL_TIMES = (dt.time(8, 0), dt.time(14, 0))
BOOK_TIME = dt.time(11, 0)
FILLER_PATIENTS = 400


class _Rollback(Exception):
    pass


def _opening_days(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def run(courses: int = 60, seed: int = 5) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from portal.models import ClinicSettings, Patient, Role, User
    from scheduling.models import Chair, ClosedDay, Course, OpeningHours, Session
    from scheduling.services import course_book
    from screening.models import Clearance

    rng = random.Random(seed)
    result: dict = {}
    try:
        with transaction.atomic():
            clinic = ClinicSettings.load()
            clinic.infusion_minutes, clinic.recovery_minutes, clinic.min_clear_days = 60, 120, 1
            clinic.save()
            for weekday in range(5):
                OpeningHours.objects.update_or_create(
                    clinic=clinic, weekday=weekday, defaults={"opens": dt.time(8), "closes": dt.time(18)}
                )
            OpeningHours.objects.filter(clinic=clinic, weekday__gte=5).delete()
            ClosedDay.objects.filter(clinic=clinic).delete()
            Chair.objects.update(active=False)
            chairs = [Chair.objects.create(name=f"Bench chair {n}", order=n) for n in range(1, CHAIRS + 1)]
            tz = clinic.tz

            clinician = User.objects.create(email=f"bench-clinician-{seed}@example.invalid", is_staff=True)
            from django.contrib.auth.models import Group

            clinician.groups.add(Group.objects.get_or_create(name=Role.CLINICIAN)[0])

            # 10,000 existing sessions: 6 chairs x 2 slots a day on consecutive opening days from tomorrow.
            today = timezone.now().astimezone(tz).date()
            per_day = CHAIRS * len(FILL_TIMES)
            days = _opening_days(today + dt.timedelta(days=1), -(-EXISTING // per_day))
            fillers = Patient.objects.bulk_create(
                [Patient(first_name="Filler", last_name=str(n)) for n in range(FILLER_PATIENTS)]
            )
            filler_courses = Course.objects.bulk_create(
                [
                    Course(patient=p, first_day=days[0], sessions_per_week=3, weeks=6, start_time=FILL_TIMES[0])
                    for p in fillers
                ]
            )
            sessions, n = [], 0
            for day in days:
                for start_time in FILL_TIMES:
                    for chair in chairs:
                        if n == EXISTING:
                            break
                        start = dt.datetime.combine(day, start_time, tzinfo=tz)
                        index = n % FILLER_PATIENTS
                        sessions.append(
                            Session(
                                course=filler_courses[index], patient=fillers[index], chair=chair, start=start,
                                end=start + dt.timedelta(minutes=60), occupied_until=start + dt.timedelta(minutes=180),
                                no_driving_until=start + dt.timedelta(minutes=60 + 12 * 60),
                            )
                        )
                        n += 1
            Session.objects.bulk_create(sessions, batch_size=2000)
            existing = Session.objects.not_cancelled().count()

            patients = Patient.objects.bulk_create(
                [Patient(first_name="Bench", last_name=str(i)) for i in range(courses + 2)]
            )
            Clearance.objects.bulk_create([Clearance(patient=p, clinician=clinician) for p in patients])
            # First days: opening days spread over the filled span, leaving room for 6 weeks.
            candidates = days[: max(1, len(days) - 35)]
            timings, queries, refused = [], [], 0
            for i, patient in enumerate(patients):
                first_day = rng.choice(candidates)
                started = time.perf_counter()
                try:
                    with CaptureQueriesContext(connection) as ctx:
                        course_book(patient=patient, first_day=first_day, sessions_per_week=3, weeks=6,
                                    start_time=BOOK_TIME)
                except Exception as exc:  # noqa: BLE001 - a refusal is counted, not fatal
                    from django.core.exceptions import ValidationError

                    if not isinstance(exc, ValidationError):
                        raise
                    refused += 1
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if i < 2:
                    continue  # warm-up: imports, caches, prepared plans
                timings.append(elapsed)
                queries.append(len(ctx.captured_queries))
            timings.sort()
            result = {
                "booking_p50_ms": statistics.median(timings),
                "booking_p95_ms": timings[max(0, int(round(0.95 * len(timings))) - 1)],
                "courses": len(timings),
                "existing_sessions": existing,
                "sessions_per_course": 18,
                "queries_per_booking": max(queries) if queries else 0,
                "refused": refused,
            }
            raise _Rollback
    except _Rollback:
        pass
    return result


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    for key, value in run().items():
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
