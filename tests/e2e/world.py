"""The clinic the accessibility sweep and the browser checks beyond axe walk through
(tests/e2e/test_a11y_sweep.py, tests/e2e/test_a11y_beyond_axe.py): a plain function, so both
build it the same way without importing each other's fixtures."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

from django.utils import timezone


def next_monday() -> dt.date:
    from portal.models import ClinicSettings

    today = dt.datetime.now(ClinicSettings.load().tz).date()
    return today + dt.timedelta(days=7 - today.weekday() + 7)


def sweep_world(*, patient, front_desk, clinician, settings) -> SimpleNamespace:
    """A patient with a booked course (one session cancelled, the 5th a review point), a baseline
    PHQ-9 with the item-9 alert and a screening of her own; a referral awaiting a clinician;
    a failed and an undeliverable message; a patient invited to make an account."""
    from portal.models import Invitation, Patient
    from scheduling.models import Chair, Notification
    from scheduling.notifications.plan import notifications_plan
    from scheduling.services import course_book, session_cancel
    from screening.models import Clearance
    from screening.services import checklist_version_current, screening_submit
    from symptoms.services import phq9_record
    from tests.factories import PatientFactory
    from tests.scheduling.helpers import make_session

    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False
    settings.ROOT_URLCONF = "tests.e2e.a11y_urls"
    for n in (1, 2):
        Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})
    monday = next_monday()

    version = checklist_version_current()
    answers = {code: "no" for code in version.codes}
    answers["epilepsy"] = "yes"
    own_screening = screening_submit(
        answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
        first_name=patient.first_name, last_name=patient.last_name, email=patient.email, patient=patient,
    )
    Clearance.objects.create(patient=patient, clinician=clinician, note="Seizure-free for 10 years.")
    referral = screening_submit(
        answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
        first_name="Erin", last_name="Ellis", email="erin@example.com", phone="(555) 010-0199",
        date_of_birth=dt.date(1985, 6, 15),
    )

    course = course_book(patient=patient, first_day=monday, sessions_per_week=3, weeks=2, start_time=dt.time(10),
                         booked_by=front_desk)
    sessions = list(course.sessions.all())
    session_cancel(session=sessions[1], by=front_desk, reason="Patient unwell")
    # A review point opens once its session has ended: one that ended yesterday (the course's own
    # 5th session is still ahead).
    review_point = make_session(patient, timezone.now() - dt.timedelta(days=1, hours=2), review_due=True)
    review = phq9_record(patient=patient, answers=[1, 2, 1, 1, 0, 1, 0, 0, 1])

    unreachable = Patient.objects.create(first_name="Una", last_name="Reach", email="", phone="")
    notifications_plan(sessions=[make_session(unreachable, sessions[0].start + dt.timedelta(days=1))])
    reminder = sessions[0].notifications.get(kind=Notification.Kind.REMINDER)
    Notification.objects.filter(pk=reminder.pk).update(
        status=Notification.Status.FAILED, attempts=5, last_error="SMTPDataError: 451 try again later"
    )

    bea = PatientFactory(first_name="Bea", last_name="Brown", email="bea@example.com")
    Clearance.objects.create(patient=bea, clinician=clinician, note="Cleared.")
    invited = PatientFactory(first_name="Ivy", last_name="Invite", email="ivy@example.com")
    invitation_token = Invitation.new_token()
    Invitation.objects.create(
        patient=invited, token_hash=Invitation.hash_token(invitation_token),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    return SimpleNamespace(
        patient=patient, front_desk=front_desk, clinician=clinician, monday=monday, course=course,
        session=sessions[0], review_point=review_point, review=review, own_screening=own_screening,
        referral=referral, bea=bea, invitation_token=invitation_token,
    )
