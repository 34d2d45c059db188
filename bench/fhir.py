"""FHIR search latency: `/fhir/<type>?patient=` p50/p95 for a patient with 18 sessions and 4
PHQ-9 reviews, read with a bearer token through Django's full stack (middleware, auth, audit)
in-process, and each search's query count for that patient and for one with 6 sessions and
2 reviews: the two must be equal (no query per resource).

Like the booking bench, everything happens in one transaction that is rolled back.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

SEARCHES = ("QuestionnaireResponse", "Observation", "Appointment")
ANSWERS = [[2, 2, 2, 2, 2, 2, 2, 2, 0], [1, 2, 1, 2, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 1, 0, 0, 0],
           [0, 0, 1, 0, 0, 0, 0, 0, 0]]


class _Rollback(Exception):
    pass


def _record(patient, chair, *, sessions: int, reviews: int, first: dt.datetime) -> None:
    """`sessions` sessions every other day from `first` (a review point at the 5th, 10th and
    15th), and `reviews` PHQ-9 responses: the baseline, then the review points."""
    from scheduling.models import Course, Session
    from symptoms.services import phq9_record

    course = Course.objects.create(patient=patient, first_day=first.date(), sessions_per_week=3, weeks=6,
                                   start_time=first.time())
    points = []
    for n in range(sessions):
        start = first + dt.timedelta(days=2 * n)
        row = Session.objects.create(course=course, patient=patient, chair=chair, start=start,
                                     end=start + dt.timedelta(hours=1), occupied_until=start + dt.timedelta(hours=3),
                                     no_driving_until=start + dt.timedelta(hours=13), review_due=n + 1 in (5, 10, 15))
        if row.review_due:
            points.append(row)
    for n, answers in enumerate(ANSWERS[:reviews]):
        phq9_record(patient=patient, answers=answers, session=points[n - 1] if n else None)


def _measure(client, url: str, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return sorted(timings)


def run(rounds: int = 200) -> dict:
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fhir_api.services import access_token_create
    from portal.models import Patient, Role, User
    from scheduling.models import Chair

    result: dict = {}
    try:
        with transaction.atomic():
            from django.contrib.auth.models import Group

            clinician = User.objects.create(email="bench-fhir-clinician@example.invalid", is_staff=True)
            clinician.groups.add(Group.objects.get_or_create(name=Role.CLINICIAN)[0])
            _token, raw = access_token_create(email=clinician.email)
            client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="127.0.0.1")
            chair = Chair.objects.create(name="Bench FHIR chair", order=99)
            first = timezone.now() - dt.timedelta(days=40)
            big = Patient.objects.create(first_name="Bench", last_name="Eighteen", email="bench-18@example.invalid")
            small = Patient.objects.create(first_name="Bench", last_name="Six", email="bench-6@example.invalid")
            _record(big, chair, sessions=18, reviews=4, first=first)
            _record(small, chair, sessions=6, reviews=2, first=first + dt.timedelta(hours=4))
            for name in SEARCHES:
                counts = []
                for patient in (big, small):
                    with CaptureQueriesContext(connection) as captured:
                        client.get(f"/fhir/{name}?patient={patient.pk}")
                    counts.append(len(captured))
                timings = _measure(client, f"/fhir/{name}?patient={big.pk}", rounds)
                result[f"{name} p50 ms"] = statistics.median(timings)
                result[f"{name} p95 ms"] = timings[max(0, int(round(0.95 * len(timings))) - 1)]
                result[f"{name} queries (18 sessions / 6)"] = f"{counts[0]} / {counts[1]}"
            raise _Rollback
    except _Rollback:
        pass
    return result
