"""Scheduling services: booking, cancelling, rescheduling, marking (issue 5).

Every write here is keyword-only, runs in one transaction, is audited, and keeps
the notification outbox in step (scheduling.notifications.plan) inside that same
transaction. Rule breaks raise ValidationError with a message the front desk can
act on, and change nothing.

The service checks give friendly messages; on PostgreSQL the exclusion
constraints (migration 0002) are the guarantee when bookings race. A lost race
surfaces as an IntegrityError, turned here into a ValidationError.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from portal.clock import clinic_today, day_start, local, local_date
from portal.models import ClinicSettings, Patient, User
from portal.services import audit_record, text_value
from scheduling.availability import day_label, time_label
from scheduling.day import (  # noqa: F401  (contract: scheduling.services.session_arrive ...)
    session_arrive,
    session_discharge,
    session_infusion_end,
    session_infusion_start,
    session_left_early,
)
from scheduling.models import CalendarSubscription, Chair, ClosedDay, Course, Session, SessionStatus, no_driving_after
from scheduling.notifications.dispatch import (
    notifications_dispatch,  # noqa: F401  (contract: scheduling.services.notifications_dispatch)
)
from scheduling.notifications.plan import notifications_cancel, notifications_plan, notifications_review_sync
from scheduling.planning import NON_FIELD, Move, Plan, course_plan, session_move_plan

# A symptom review is due on every 5th session of a course that is not cancelled (5th, 10th, 15th).
REVIEW_EVERY = 5

RACE_CHAIR = (
    "Another booking took this chair at the same time a moment ago, so nothing was booked. "
    "Propose the sessions again to see which chairs are free now."
)
RACE_PATIENT = (
    "This patient was booked at an overlapping time a moment ago, so nothing was booked. "
    "Check the patient's sessions, then propose the sessions again."
)


def _race_error(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "session_patient_no_overlap" in text:
        return ValidationError({NON_FIELD: [RACE_PATIENT]})
    if "session_chair_no_overlap" in text:
        return ValidationError({NON_FIELD: [RACE_CHAIR]})
    return ValidationError({NON_FIELD: ["The booking could not be saved because the schedule changed. Try again."]})


def _plan_error(plan: Plan) -> ValidationError:
    errors = {key: list(messages) for key, messages in plan.errors.items()}
    problems = plan.problem_dates()
    if problems:
        errors.setdefault(NON_FIELD, []).append(
            "These dates cannot be booked: "
            + "; ".join(problems)
            + ". Nothing was booked. Choose another start time or first day, or use the booking page to "
            "pick another chair, time or day for these sessions."
        )
    if not errors:
        errors[NON_FIELD] = ["The course could not be planned. Check the dates and try again."]
    return ValidationError(errors)


# An arbitrary constant naming the clinic-wide chair-booking advisory lock.
CHAIR_BOOKING_LOCK = 5_102_026


def _lock_patient(patient: Patient | None) -> None:
    # Bookings of one patient take turns: the clear-day rule spans rows that no
    # constraint can see, so two courses booked at once must not both pass the check.
    if patient is not None and patient.pk:
        list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True))
    # Bookings that place sessions on chairs also take turns, clinic-wide, for the rest
    # of the transaction: each plans against the chairs as the one before left them, so
    # racers spread over the free chairs at once instead of colliding and re-planning
    # (which, with several racers on a busy machine, could run out of attempts). A
    # booking takes ~0.1 s; front-desk bookings are rare. The exclusion constraints
    # stay the guarantee; this only makes the friendly path the usual one.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIR_BOOKING_LOCK])


def _review_recompute(*, course_ids: Iterable[int]) -> None:
    """review_due on the 5th, 10th and 15th session of each course not cancelled; off elsewhere."""
    rows = (
        Session.objects.filter(course_id__in=list(course_ids))
        .order_by("course_id", "start", "pk")
        .values_list("pk", "course_id", "status", "review_due")
    )
    turn_on, turn_off, counts = [], [], {}
    for pk, course_id, status, review_due in rows:
        wanted = False
        if status != SessionStatus.CANCELLED:
            counts[course_id] = counts.get(course_id, 0) + 1
            wanted = counts[course_id] % REVIEW_EVERY == 0
        if wanted and not review_due:
            turn_on.append(pk)
        elif review_due and not wanted:
            turn_off.append(pk)
    if turn_on:
        Session.objects.filter(pk__in=turn_on).update(review_due=True)
    if turn_off:
        Session.objects.filter(pk__in=turn_off).update(review_due=False)


def course_book(
    *,
    patient: Patient,
    first_day: dt.date,
    sessions_per_week: int,
    weeks: int,
    start_time: dt.time,
    booked_by: User | None = None,
    weekdays: Sequence[int] | None = None,
    slots: Sequence[tuple[dt.date, dt.time, Chair | int | None]] | None = None,
    request=None,
    now: dt.datetime | None = None,
) -> Course:
    """Book a whole course, every session at once or none.

    Without `slots`, every session is at `start_time` (clinic wall clock) on a free
    chair (the lowest in the clinic's order), on `weekdays` or else the earliest
    opening days of each 7-day block that keep the rules. It never moves a session
    to another time by itself. `slots` are (date, time, chair or None) chosen on
    the booking page, checked and booked session by session in this transaction.
    """
    _course_arguments_check(patient=patient)
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            return _course_book_once(
                patient=patient,
                first_day=first_day,
                sessions_per_week=sessions_per_week,
                weeks=weeks,
                start_time=start_time,
                booked_by=booked_by,
                weekdays=weekdays,
                slots=slots,
                request=request,
                now=now,
            )
        except (IntegrityError, OperationalError) as exc:
            # A booking that committed first took a chair this plan had chosen (or the two
            # deadlocked). Everything was rolled back; planning again sees that booking and
            # picks another free chair, or refuses naming the dates that no longer fit.
            retry = _worth_retrying(exc)
            if isinstance(exc, OperationalError) and not retry:
                raise
            if not retry or attempt == RACE_ATTEMPTS:
                raise _race_error(exc) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _course_arguments_check(*, patient) -> None:
    """A value that is no patient record is refused with a message, not crashed on in the planner.
    (Dates, times and numbers may come as ISO or numeric strings: the planner reads them.)"""
    if not isinstance(patient, Patient) or patient.pk is None:
        raise ValidationError({"patient": "Choose a registered patient."})


# Racers for one slot each lose at most once per chair they try, so this covers a full clinic.
RACE_ATTEMPTS = 12


def _worth_retrying(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return "session_chair_no_overlap" in str(exc)
    # PostgreSQL deadlock_detected / serialization_failure: two courses inserting overlapping rows.
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)  # psycopg 3 / psycopg2
    return code in ("40P01", "40001")


def _course_book_once(
    *,
    patient: Patient,
    first_day: dt.date,
    sessions_per_week: int,
    weeks: int,
    start_time: dt.time,
    booked_by: User | None,
    weekdays: Sequence[int] | None,
    slots: Sequence[tuple[dt.date, dt.time, Chair | int | None]] | None,
    request,
    now: dt.datetime | None,
) -> Course:
    with transaction.atomic():
        _lock_patient(patient)
        plan = course_plan(
            patient=patient,
            first_day=first_day,
            sessions_per_week=sessions_per_week,
            weeks=weeks,
            start_time=start_time,
            weekdays=list(weekdays) if weekdays else None,
            slots=list(slots) if slots is not None else None,
            now=now,
        )
        if not plan.ok:
            raise _plan_error(plan)
        course = Course.objects.create(
            patient=patient,
            first_day=plan.first_day,
            sessions_per_week=plan.sessions_per_week,
            weeks=plan.weeks,
            start_time=plan.start_time,
            booked_by=booked_by if getattr(booked_by, "is_authenticated", False) else None,
        )
        sessions = _sessions_create(course=course, plan=plan)
        notifications_plan(sessions=sessions, reason="booked")
        audit_record(
            actor=booked_by,
            action="course.book",
            patient=patient,
            obj=course,
            request=request,
            detail={
                "sessions": len(sessions),
                "first_day": plan.first_day.isoformat(),
                "start_time": time_label(plan.start_time),
            },
        )
    return course


def _sessions_create(*, course: Course, plan: Plan) -> list[Session]:
    # The planner read the clinic's settings already; the same hours, without another query.
    hours = (plan.clinic.settings if plan.clinic else ClinicSettings.load()).no_driving_hours
    sessions = [
        Session(
            course=course,
            patient=course.patient,
            chair=planned.chair,
            start=planned.start,
            end=planned.end,
            occupied_until=planned.until,
            no_driving_until=no_driving_after(planned.end, hours=hours),
            review_due=number % REVIEW_EVERY == 0,
        )
        for number, planned in enumerate(plan.sessions, start=1)
    ]
    Session.objects.bulk_create(sessions)
    return sessions


def session_cancel(
    *, session: Session, by: User | None = None, reason: str = "", request=None
) -> None:
    """Cancel one session: it frees the chair, its pending messages are never sent,
    and the review markers of the course move to the sessions that still count.
    Cancelling a cancelled session does nothing."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.is_cancelled:
            _refresh(session, locked)
            return
        if not locked.is_changeable:
            raise ValidationError(
                f"This session is already marked {locked.get_status_display().lower()}, so it cannot be "
                "cancelled. Change the mark instead if it was wrong."
            )
        locked.status = SessionStatus.CANCELLED
        locked.status_reason = text_value(reason, field="reason", multiline=True).strip()[:300]
        locked.sequence += 1
        locked.save(update_fields=["status", "status_reason", "sequence", "updated_at"])
        # review_due first: cancelling the outbox rows re-syncs the review notices from it.
        _review_recompute(course_ids=[locked.course_id])
        notifications_cancel(sessions=[locked])
        audit_record(
            actor=by,
            action="session.cancel",
            patient=locked.patient,
            obj=locked,
            request=request,
            detail={"reason": locked.status_reason, "start": locked.start.isoformat()},
        )
        locked.refresh_from_db(fields=["review_due"])
    _refresh(session, locked)


def _refresh(target: Session, source: Session) -> None:
    for name in (
        "status", "status_reason", "sequence", "review_due", "start", "end", "occupied_until", "chair_id",
        "no_driving_until",
    ):
        setattr(target, name, getattr(source, name))


def course_cancel_rest(
    *, course: Course, by: User | None = None, reason: str = "", now: dt.datetime | None = None, request=None
) -> int:
    """Cancel every booked session of the course that has not started yet; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            Session.objects.select_for_update()
            .filter(course=course, start__gt=now)
            .changeable()
            .order_by("start")
        )
        if not pending:
            return 0
        reason = text_value(reason, field="reason", multiline=True).strip()[:300]
        Session.objects.filter(pk__in=[s.pk for s in pending]).update(
            status=SessionStatus.CANCELLED, status_reason=reason, sequence=F("sequence") + 1, updated_at=now
        )
        for session in pending:
            session.status = SessionStatus.CANCELLED
            session.status_reason = reason
            session.sequence += 1
        _review_recompute(course_ids=[course.pk])
        notifications_cancel(sessions=pending)
        audit_record(
            actor=by,
            action="course.cancel_rest",
            patient=course.patient,
            obj=course,
            request=request,
            detail={"reason": reason, "cancelled": len(pending), "from": pending[0].start.isoformat()},
        )
    return len(pending)


def session_reschedule(
    *,
    session: Session,
    day: dt.date,
    start_time: dt.time,
    chair: Chair | None = None,
    by: User | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    request=None,
) -> Session:
    """Move one session to another day, time or chair, within its week of the course.

    The same rules hold as for booking: opening hours with recovery, clear days
    between the patient's sessions, a free active chair (the lowest free one when
    `chair` is None). The session's SEQUENCE rises so calendars update.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            _lock_patient(session.patient)
            locked = Session.objects.select_for_update().select_related("course", "chair").get(pk=session.pk)
            if not locked.is_changeable:
                raise ValidationError(
                    f"Only a booked session can be moved; this one is {locked.get_status_display().lower()}."
                )
            move = session_move_plan(session=locked, day=day, start_time=start_time, chair=chair, now=now)
            _move_refusals_check(move, session=locked)
            _session_move(locked, move=move, by=by, reason=reason, request=request)
    except IntegrityError as exc:
        raise _race_error(exc) from None
    _refresh(session, locked)
    session.chair = locked.chair
    return session


def _move_refusals_check(move: Move, *, session: Session) -> None:
    planned = move.session
    if not move.in_week:
        raise ValidationError(
            {
                "day": [
                    f"Keep the session in week {move.week} of the course ({day_label(move.week_first)} to "
                    f"{day_label(move.week_last)}), so every week still has {session.course.sessions_per_week} "
                    "sessions. To change the course itself, cancel the rest and book a new one."
                ]
            }
        )
    if planned.problems:
        raise ValidationError(
            {
                NON_FIELD: [
                    f"{day_label(planned.day)} at {time_label(planned.start_time)} cannot be booked: "
                    + "; ".join(planned.problems)
                    + ". Choose another time, day or chair."
                ]
            }
        )
    if (planned.start, planned.chair.pk) == (session.start, session.chair_id):
        raise ValidationError("The session is already at that time on that chair.")


def _session_move(locked: Session, *, move: Move, by: User | None, reason: str, request) -> None:
    """Write the move: the old messages go, the session moves, new messages and review points follow."""
    planned = move.session
    previous = {"start": locked.start.isoformat(), "chair": locked.chair.name}
    notifications_cancel(sessions=[locked])
    locked.start, locked.end, locked.occupied_until = planned.start, planned.end, planned.until
    locked.no_driving_until = no_driving_after(planned.end, hours=ClinicSettings.load().no_driving_hours)
    locked.chair = planned.chair
    locked.status_reason = text_value(reason, field="reason", multiline=True).strip()[:300]
    locked.sequence += 1
    locked.save(
        update_fields=[
            "start", "end", "occupied_until", "no_driving_until", "chair", "status_reason", "sequence", "updated_at"
        ]
    )
    _review_recompute(course_ids=[locked.course_id])
    locked.refresh_from_db(fields=["review_due"])
    notifications_plan(sessions=[locked], reason="rescheduled")
    # A move can change the order of the course's sessions, and so which one is a review point.
    notifications_review_sync(courses=[locked.course_id])
    audit_record(
        actor=by,
        action="session.reschedule",
        patient=locked.patient,
        obj=locked,
        request=request,
        detail={
            "reason": locked.status_reason,
            "from": previous,
            "to": {"start": locked.start.isoformat(), "chair": locked.chair.name},
        },
    )


MARKS = {SessionStatus.COMPLETED, SessionStatus.NO_SHOW}


def session_mark(
    *,
    session: Session,
    status: str,
    by: User | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    request=None,
) -> Session:
    """Record that a session took place (completed) or that the patient did not come (no-show)."""
    now = now or timezone.now()
    if status not in MARKS:
        raise ValidationError({"status": ["Mark the session completed or no-show."]})
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.is_cancelled:
            raise ValidationError("This session was cancelled, so it cannot be marked completed or no-show.")
        if locked.arrived_at is not None:
            raise ValidationError(
                "The patient's arrival is recorded, so record the rest of the day on the chair board "
                "(or that the patient left before discharge)."
            )
        if locked.start > now:
            raise ValidationError(
                f"This session starts at {time_label(local(locked.start).time())} on "
                f"{day_label(local_date(locked.start))}; mark it once it has started."
            )
        if locked.status == status:
            _refresh(session, locked)
            return session
        previous = locked.status
        locked.status = status
        locked.status_reason = text_value(reason, field="reason", multiline=True).strip()[:300]
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        if status == SessionStatus.NO_SHOW:
            # A patient who did not come gets no no-driving notice for an infusion they never had.
            notifications_cancel(sessions=[locked])
        audit_record(
            actor=by,
            action=f"session.mark_{status}",
            patient=locked.patient,
            obj=locked,
            request=request,
            detail={"reason": locked.status_reason, "previous": previous},
        )
    _refresh(session, locked)
    return session




def session_no_show(*, session: Session, by: User | None, reason: str = "", request=None) -> Session:
    """The patient did not come: nothing more is sent about this session."""
    if not getattr(by, "is_clinic_staff", False):
        raise PermissionDenied("Only clinic staff can mark a no-show.")
    return session_mark(session=session, status=SessionStatus.NO_SHOW, by=by, reason=reason, request=request)


def calendar_subscription_new(*, patient: Patient, by: User | None = None, request=None) -> str:
    """A new private subscription address for all the patient's sessions; a previous one stops
    working. Only a hash is stored, so a database leak does not leak live addresses; the patient
    sees the address once, when it is made."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        subscription, _created = CalendarSubscription.objects.update_or_create(
            patient=patient, defaults={"token_hash": Course.calendar_token_hash(token), "created_at": timezone.now()}
        )
        audit_record(actor=by, action="calendar.subscription_new", patient=patient, obj=subscription, request=request)
    return token


def calendar_subscription_stop(*, patient: Patient, by: User | None = None, request=None) -> None:
    with transaction.atomic():
        deleted, _ = CalendarSubscription.objects.filter(patient=patient).delete()
        if deleted:
            audit_record(actor=by, action="calendar.subscription_stop", patient=patient, request=request)


def calendar_address_new(*, course: Course, by: User | None = None, request=None) -> str:
    """A per-course subscription token, as the portal made before addresses covered the whole
    patient (calendar_subscription_new). No page makes them any more; the ones patients hold
    keep working until stopped (calendar_address_revoke)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        course.calendar_token = Course.calendar_token_hash(token)
        Course.objects.filter(pk=course.pk).update(calendar_token=course.calendar_token)
        audit_record(actor=by, action="course.calendar_address_new", patient=course.patient, obj=course, request=request)
    return token


def calendar_address_revoke(*, course: Course, by: User | None = None, request=None) -> None:
    with transaction.atomic():
        Course.objects.filter(pk=course.pk).update(calendar_token="")
        course.calendar_token = ""
        audit_record(
            actor=by, action="course.calendar_address_revoke", patient=course.patient, obj=course, request=request
        )


def closed_day_add(*, day: dt.date, reason: str = "", by: User, request=None) -> ClosedDay:
    """Close the clinic on `day` (a holiday, training, repairs): the planner offers no session
    there. Refused for a past day, a day already closed, or a day with live sessions (they
    are moved or cancelled first, so no patient is left booked on a closed day)."""
    clinic = ClinicSettings.load()
    if day < clinic_today(clinic.tz):
        raise ValidationError({"date": "This day has passed. Choose today or a later day."})
    reason = text_value(reason, field="reason").strip()[:200]
    with transaction.atomic():
        booked = Session.objects.not_cancelled().filter(
            start__gte=day_start(day, clinic.tz), start__lt=day_start(day + dt.timedelta(days=1), clinic.tz)
        ).count()
        if booked:
            raise ValidationError({"date": (
                f"{booked} session{'' if booked == 1 else 's'} {'is' if booked == 1 else 'are'} booked on "
                f"{day_label(day)}. Move or cancel {'it' if booked == 1 else 'them'} first, then close the day."
            )})
        closed, made = ClosedDay.objects.get_or_create(clinic=clinic, date=day, defaults={"reason": reason})
        if not made:
            raise ValidationError({"date": f"The clinic is already closed on {day_label(day)}."})
        audit_record(actor=by, action="closed_day.add", obj=closed, request=request,
                     detail={"date": day.isoformat(), "reason": reason})
    return closed


def closed_day_remove(*, closed_day: ClosedDay, by: User, request=None) -> None:
    """Open the clinic again on a day it was closed."""
    with transaction.atomic():
        audit_record(actor=by, action="closed_day.remove", obj=closed_day, request=request,
                     detail={"date": closed_day.date.isoformat(), "reason": closed_day.reason})
        closed_day.delete()
