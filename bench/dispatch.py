"""Dispatch throughput: how many due notifications one worker sends per second.

`run(count)` creates its own patient, chair, course, sessions and `count` due reminders
on DATABASE_URL, dispatches them with Django's local-memory email backend (rendering both
templates, building each message's MIME tree through EmailMultiAlternatives and every
database write, each mark committed on its own, are real; the SMTP hop is
left out, and so is serialising the message to bytes, which the SMTP backend adds: about
half a millisecond a message on the bench machine), then deletes everything it created.
Its rows are due in the year 2000 and dispatched "as of" then, so the run never claims
anyone else's messages.

Figures: notifications_per_second (target >= 300 per worker) and
queries_per_notification (constant: one UPDATE per row, one claim check per 20 rows, and
a few per batch).

`make bench` runs it once on a fresh database. To run it again and again on one database
where autovacuum is off (as on the bench machine), VACUUM scheduling_notification between
runs: each run leaves three dead row versions per notification, and the next run reads through them.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

FAR_PAST = dt.datetime(2000, 1, 3, 12, 0, tzinfo=dt.UTC)


def _due_reminders(count: int):
    """A patient, an inactive chair, a course of 20 sessions and `count` reminders due in 2000."""
    from portal.models import ClinicSettings, Patient
    from scheduling.models import Chair, Course, Notification, Session

    tag = uuid.uuid4().hex[:10]
    clinic = ClinicSettings.load()
    patient = Patient.objects.create(first_name="Bench", last_name=tag, email=f"bench-{tag}@example.invalid")
    chair = Chair.objects.create(name=f"bench-{tag}", active=False)
    first = dt.date(2090, 1, 2)
    course = Course.objects.create(
        patient=patient, first_day=first, sessions_per_week=2, weeks=1, start_time=dt.time(10)
    )
    sessions = []
    for n in range(20):
        start = dt.datetime.combine(first + dt.timedelta(days=2 * n), dt.time(15), tzinfo=dt.UTC)
        end = start + dt.timedelta(minutes=clinic.infusion_minutes)
        sessions.append(
            Session(
                course=course,
                patient=patient,
                chair=chair,
                start=start,
                end=end,
                occupied_until=end + dt.timedelta(minutes=clinic.recovery_minutes),
                no_driving_until=end + dt.timedelta(hours=clinic.no_driving_hours),
            )
        )
    Session.objects.bulk_create(sessions)
    kinds = [Notification.Kind.REMINDER, Notification.Kind.NO_DRIVING]
    rows = [
        Notification(
            session=sessions[n % len(sessions)],
            kind=kinds[(n // len(sessions)) % 2],
            session_sequence=n,
            send_at=FAR_PAST - dt.timedelta(minutes=1),
            expires_at=sessions[n % len(sessions)].start,
        )
        for n in range(count)
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)
    return patient, chair, course


def run(count: int = 10000) -> dict:
    from django.core import mail
    from django.db import connection
    from django.test.utils import override_settings

    from scheduling.models import Notification, Session
    from scheduling.notifications.dispatch import notifications_dispatch

    patient, chair, course = _due_reminders(count)
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            NOTIFICATION_DISPATCH_ON_COMMIT=False,
            NOTIFICATION_TIME_BUDGET_SECONDS=3600,
            NOTIFICATION_BATCH_SIZE=500,
        ):
            mail.outbox = []
            queries = 0

            def counted(execute, sql, params, many, context):
                nonlocal queries
                queries += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(counted):
                began = time.perf_counter()
                sent = notifications_dispatch(now=FAR_PAST)
                elapsed = time.perf_counter() - began
            delivered = len(mail.outbox)
            mail.outbox = []
        mine_sent = Notification.objects.filter(session__course=course, status=Notification.Status.SENT).count()
    finally:
        Notification.objects.filter(session__course=course).delete()
        Session.objects.filter(course=course).delete()
        course.delete()
        chair.delete()
        patient.delete()
    if not (sent == mine_sent == delivered == count):
        raise RuntimeError(f"dispatched {sent}, marked {mine_sent}, delivered {delivered} of {count}")
    return {
        "notifications_per_second": count / elapsed,
        "queries_per_notification": queries / count,
        "count": count,
    }


if __name__ == "__main__":
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10000))
