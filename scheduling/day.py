"""The treatment day as it happened: arrival with its checks, the infusion's start and end,
discharge, a no-show, and leaving before discharge (issue 14). Re-exported from
scheduling.services, where the contract names them.

Design: ``Session.status`` keeps how a session ended up (booked, completed, no-show, left
before discharge, cancelled); the recorded times (``arrived_at`` ... ``discharged_at``) say
how far its day went; the stage the chair board shows (``Session.day_stage``) is read from
both, so no second field can drift from the times. The database checks the order of the
times (migration 0007).

Each step locks the session row first: two staff recording the same step at once take
turns, and the second sees the first's record and is told who recorded it, and when. The
step, its audit event and the outbox change are one transaction; a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import dateformat, timezone

from portal.clock import local, local_date
from portal.models import ClinicSettings, User
from portal.services import audit_record, phone_normalise, text_value
from scheduling.models import Session, SessionStatus, no_driving_after
from scheduling.notifications.plan import (
    notifications_cancel,
    notifications_day_arrived,
    notifications_discharged,
    notifications_ride_home,
)
from screening.services import consent_is_current


@dataclass(frozen=True)
class Step:
    name: str  # the audit action's suffix
    at_field: str
    by_field: str
    label: str  # as staff say it: "Arrival was already recorded ..."
    after: str | None  # the step it follows (its time field)
    after_label: str
    clinician_only: bool = False


ARRIVE = Step("arrive", "arrived_at", "arrived_by", "Arrival", None, "")
START = Step("infusion_start", "infusion_started_at", "infusion_started_by", "The infusion's start", "arrived_at",
             "arrival")
END = Step("infusion_end", "infusion_ended_at", "infusion_ended_by", "The infusion's end", "infusion_started_at",
           "the infusion's start")
DISCHARGE = Step("discharge", "discharged_at", "discharged_by", "Discharge", "infusion_ended_at",
                 "the infusion's end", clinician_only=True)
STEPS = {step.name: step for step in (ARRIVE, START, END, DISCHARGE)}


def _clock(moment: dt.datetime, tz) -> str:
    """"10:02 AM" in the clinic's zone (with the date when it is not today there)."""
    moment = local(moment, tz)
    text = dateformat.format(moment, "g:i A")
    if moment.date() != local_date(timezone.now(), tz):
        text += " on " + dateformat.format(moment, "l, F j")
    return text


def _who(user: User | None) -> str:
    return (user.get_full_name() or user.email) if user is not None else "someone"


def _role_check(by: User | None, step: Step) -> None:
    if step.clinician_only:
        if not getattr(by, "is_clinician", False):
            raise PermissionDenied("Only a clinician can discharge a patient: they assess the patient first.")
    elif not getattr(by, "is_clinic_staff", False):
        raise PermissionDenied("Only clinic staff can record the treatment day.")


def _when(at, now: dt.datetime) -> dt.datetime:
    if at is None:
        return now
    if not isinstance(at, dt.datetime) or timezone.is_naive(at):
        raise ValidationError({"at": ["Enter the time as a date and time in the clinic's time zone."]})
    return at


def _step_checks(locked: Session, step: Step, at: dt.datetime, now: dt.datetime, tz) -> None:
    """Refuse, with a message staff can act on, a step that is out of turn or out of time."""
    done_at = getattr(locked, step.at_field)
    if done_at is not None:
        raise ValidationError(
            f"{step.label} was already recorded by {_who(getattr(locked, step.by_field))} at {_clock(done_at, tz)}. "
            "Nothing was changed."
        )
    if locked.status != SessionStatus.BOOKED:
        raise ValidationError(
            f"This session is marked {locked.get_status_display().lower()}, so its day cannot be recorded."
        )
    if at > now:
        raise ValidationError(
            {"at": [f"{_clock(at, tz)} is in the future. Enter the time it happened (now at the latest)."]}
        )
    if step.after is None:
        if local_date(at, tz) != local_date(locked.start, tz):
            raise ValidationError(
                {"at": [f"This session is on {dateformat.format(local(locked.start, tz), 'l, F j')}: "
                        "record its arrival on that day."]}
            )
        return
    before = getattr(locked, step.after)
    if before is None:
        raise ValidationError(f"Record {step.after_label} first.")
    too_early = at <= before if step is END else at < before
    if too_early:
        raise ValidationError(
            {"at": [f"{_clock(at, tz)} is before {step.after_label} ({_clock(before, tz)}). "
                    f"Enter a time after {_clock(before, tz)}."]}
        )


def _record(*, session: Session, by: User | None, at, step: Step, request, prepare=None, after=None) -> Session:
    """One step of the day: lock, check, write the time and who, then `prepare(locked, at)`
    (more fields to write, may refuse) and `after(locked)` (the outbox), audit."""
    _role_check(by, step)
    now = timezone.now()
    at = _when(at, now)
    clinic = ClinicSettings.load()
    tz = clinic.tz
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        _step_checks(locked, step, at, now, tz)
        setattr(locked, step.at_field, at)
        setattr(locked, step.by_field, by)
        fields = [step.at_field, step.by_field, "updated_at"]
        if prepare is not None:
            fields += prepare(locked, at, clinic)
        locked.save(update_fields=fields)
        if after is not None:
            after(locked)
        audit_record(
            actor=by, action=f"session.{step.name}", patient=locked.patient, obj=locked, request=request,
            detail={"at": at.isoformat(), "recorded_at": now.isoformat()},
        )
    for name in {*fields, "status", "sequence", "no_driving_until"} - {"updated_at"}:
        setattr(session, name, getattr(locked, name))
    return session


def _yes_no(value, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValidationError({field: ["Answer yes or no."]})


def session_arrive(
    *,
    session: Session,
    by: User | None,
    at: dt.datetime | None = None,
    ride_home_name: str = "",
    ride_home_phone: str = "",
    bladder_emptied: bool | None = None,
    no_alcohol_or_drugs: bool | None = None,
    ride_home_may_text: bool = False,
    request=None,
) -> Session:
    """The patient is here. The checks are recorded as answered: a "no" (or no ride home)
    flags the session for the clinician (Session.pre_check_flags); it does not block."""
    name = text_value(ride_home_name, field="ride_home_name").strip()[:100]
    try:
        phone = phone_normalise(text_value(ride_home_phone, field="ride_home_phone"))
    except ValidationError as exc:
        raise ValidationError({"ride_home_phone": exc.message_dict["phone"]}) from None
    checks = {
        "bladder_emptied": _yes_no(bladder_emptied, "bladder_emptied"),
        "no_alcohol_or_drugs": _yes_no(no_alcohol_or_drugs, "no_alcohol_or_drugs"),
        "ride_home_may_text": bool(_yes_no(ride_home_may_text, "ride_home_may_text")) and bool(phone),
    }

    def prepare(locked, at, clinic):
        locked.ride_home_name, locked.ride_home_phone = name, phone
        for field, value in checks.items():
            setattr(locked, field, value)
        return ["ride_home_name", "ride_home_phone", *checks]

    return _record(session=session, by=by, at=at, step=ARRIVE, request=request, prepare=prepare,
                   after=notifications_day_arrived)


def session_infusion_start(*, session: Session, by: User | None, at: dt.datetime | None = None, request=None) -> Session:
    """The infusion starts: only after arrival, and only with the clinic's current consent signed."""

    def prepare(locked, at, clinic):
        if not consent_is_current(patient=locked.patient):
            raise ValidationError(
                "The patient has not signed the clinic's current consent form, so the infusion cannot start. "
                "Ask the patient to sign it (in the portal, or on the clinic's tablet), then record the start."
            )
        return []

    return _record(session=session, by=by, at=at, step=START, request=request, prepare=prepare)


def session_infusion_end(*, session: Session, by: User | None, at: dt.datetime | None = None, request=None) -> Session:
    """The infusion ends: the no-driving time is stored again from this end, with the hours in
    force now, and the person taking the patient home is told when to come (if agreed)."""

    def prepare(locked, at, clinic):
        locked.no_driving_until = no_driving_after(at, hours=clinic.no_driving_hours)
        # The calendar entry names the no-driving time: a new SEQUENCE makes calendar apps update it.
        locked.sequence += 1
        return ["no_driving_until", "sequence"]

    return _record(session=session, by=by, at=at, step=END, request=request, prepare=prepare,
                   after=notifications_ride_home)


def session_discharge(*, session: Session, by: User | None, at: dt.datetime | None = None, request=None) -> Session:
    """A clinician has assessed the patient, who may go home: the session is completed and the
    no-driving notice goes now, naming the stored no-driving time."""

    def prepare(locked, at, clinic):
        locked.status = SessionStatus.COMPLETED
        return ["status"]

    return _record(session=session, by=by, at=at, step=DISCHARGE, request=request, prepare=prepare,
                   after=notifications_discharged)


def session_left_early(
    *, session: Session, by: User | None, at: dt.datetime | None = None, reason: str = "", request=None
) -> Session:
    """The patient left before a clinician discharged them: the session ends there, and its
    unsent messages (the no-driving notice, the ride-home text) are cancelled. Staff follow
    the clinic's own procedure for a patient who leaves against advice."""
    if not getattr(by, "is_clinic_staff", False):
        raise PermissionDenied("Only clinic staff can record that a patient left.")
    now = timezone.now()
    at = _when(at, now)
    tz = ClinicSettings.load().tz
    reason = text_value(reason, field="reason", multiline=True).strip()[:300]
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.BOOKED or locked.arrived_at is None:
            raise ValidationError(
                "Only a patient who has arrived and is not yet discharged can leave before discharge; this "
                f"session is {locked.get_day_stage_display().lower()}."
            )
        if at > now or at < locked.arrived_at:
            raise ValidationError(
                {"at": [f"Enter a time between arrival ({_clock(locked.arrived_at, tz)}) and now."]}
            )
        locked.status, locked.status_reason = SessionStatus.LEFT_EARLY, reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        notifications_cancel(sessions=[locked])
        audit_record(
            actor=by, action="session.left_early", patient=locked.patient, obj=locked, request=request,
            detail={"at": at.isoformat(), "reason": reason},
        )
    session.status, session.status_reason = locked.status, locked.status_reason
    return session
