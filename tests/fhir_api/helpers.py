"""Builders and checks shared by the FHIR API tests (no tests and no fixtures here)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from django.test import Client

from fhir_api.services import access_token_create
from scheduling.models import Chair, SessionStatus
from symptoms.services import phq9_record
from tests.factories import CourseFactory, SessionFactory

NY = zoneinfo.ZoneInfo("America/New_York")
# A Friday noon in the clinic; the record's course began 40 days before.
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=NY)
FHIR_JSON = "application/fhir+json"
# LOINC panel 44249-1 (PHQ-9 quick depression assessment), its nine items in order, as LOINC
# publishes them: written out here rather than read from symptoms/phq9.py, so a wrong code there fails.
LOINC_PHQ9_ITEMS = [
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8",
]
LOINC_ANSWERS = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
# Baseline, then the review points after the 5th, 10th and 15th session.
ANSWERS = [
    [2, 2, 2, 2, 2, 2, 2, 2, 1],
    [1, 2, 1, 2, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 0, 1, 0, 0, 0],
    [0, 0, 1, 0, 0, 0, 0, 0, 0],
]


def patient_record(patient, *, sessions: int = 18, reviews: int = 4, chair_name: str = "Chair 1"):
    """One course of `sessions` sessions every other day from 40 days before NOW (so the
    review points after the 5th, 10th and 15th have ended), and `reviews` PHQ-9 responses:
    the baseline first, then one per review point. Call inside time_machine at NOW."""
    chair, _ = Chair.objects.get_or_create(name=chair_name)
    first = NOW - dt.timedelta(days=40)
    course = CourseFactory(patient=patient, first_day=first.date(), start_time=first.time(), sessions_per_week=3,
                           weeks=6)
    rows = [
        SessionFactory(patient=patient, course=course, chair=chair, start=first + dt.timedelta(days=2 * n),
                       review_due=n + 1 in (5, 10, 15))
        for n in range(sessions)
    ]
    made = []
    review_points = [row for row in rows if row.review_due]
    for n, answers in enumerate(ANSWERS[:reviews]):
        review = phq9_record(patient=patient, answers=answers, session=review_points[n - 1] if n else None)
        # Answered the day after the review point (the baseline 3 days before the course).
        review.submitted_at = review_points[n - 1].end + dt.timedelta(days=1) if n else first - dt.timedelta(days=3)
        review.save(update_fields=["submitted_at"])
        made.append(review)
    return course, rows, made


def mark(session, status: str, reason: str = "") -> None:
    session.status, session.status_reason = status, reason
    session.save(update_fields=["status", "status_reason", "updated_at"])


def token_for(clinician, **kwargs) -> str:
    return access_token_create(email=clinician.email, **kwargs)[1]


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def body(response) -> dict:
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    return json.loads(response.content)


def validate(resource: dict):
    """Parse with fhir.resources pinned to FHIR 4.0.1: unknown elements, wrong types, missing
    required elements and bad formats (ids, instants, codes) are refused."""
    import fhir.resources
    from fhir.resources import construct_fhir_element

    assert fhir.resources.__fhir_version__ == "4.0.1"
    return construct_fhir_element(resource["resourceType"], resource)


CANCELLED = SessionStatus.CANCELLED
