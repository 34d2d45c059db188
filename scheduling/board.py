"""The chair board: today's sessions by chair and time, each with its stage on the day, what
needs attention, and the one next step staff can record. Reads only, in a constant number of
queries whatever the number of sessions (clinic settings, sessions with their chairs,
patients and recorders, the consent version required, the signatures that meet it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import dateformat

from portal.clock import day_start, local
from portal.models import ClinicSettings
from scheduling.models import DayStage, Session
from screening.services import consent_current_patient_ids

# A patient not here this long after the booked start is late.
LATE_AFTER = dt.timedelta(minutes=15)

# The next step from each stage: (step, button label).
NEXT_STEP = {
    DayStage.BOOKED: ("arrive", "Check in"),
    DayStage.ARRIVED: ("start", "Start infusion"),
    DayStage.INFUSING: ("end", "End infusion"),
    DayStage.RECOVERING: ("discharge", "Discharge"),
    DayStage.READY: ("discharge", "Discharge"),
}


@dataclass
class BoardRow:
    session: Session
    stage: str
    stage_label: str
    consent_ok: bool
    consent_url: str
    consent_needed: bool
    alerts: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    step: str = ""
    step_label: str = ""
    can_leave: bool = False
    can_no_show: bool = False
    times: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)


def _clock(moment, tz) -> str:
    return dateformat.format(local(moment, tz), "g:i A")


def _consent_url(session: Session) -> str:
    """The tablet-signature page, where staff record the patient's signature."""
    return reverse("screening:consent_staff_sign", args=[session.patient_id])


def _alerts(session: Session, stage: str, now: dt.datetime, tz) -> list[str]:
    alerts = []
    if stage == DayStage.BOOKED and now >= session.occupied_until:
        alerts.append(f"Not recorded: booked {_clock(session.start, tz)}, nothing recorded yet")
    elif stage == DayStage.BOOKED and now >= session.start + LATE_AFTER:
        alerts.append(f"Late: not checked in (booked {_clock(session.start, tz)})")
    elif stage == DayStage.ARRIVED and now >= session.start + LATE_AFTER:
        alerts.append(f"Late start: booked {_clock(session.start, tz)}")
    if stage == DayStage.INFUSING and now >= session.occupied_until:
        alerts.append(f"Overrunning: infusing past {_clock(session.occupied_until, tz)}")
    elif stage in (DayStage.INFUSING, DayStage.RECOVERING, DayStage.READY) and now >= session.occupied_until:
        alerts.append(f"Overrunning: still here past {_clock(session.occupied_until, tz)}")
    return alerts


def _times(session: Session, tz) -> list[tuple[str, str]]:
    recorded = [
        ("Arrived", session.arrived_at), ("Started", session.infusion_started_at),
        ("Ended", session.infusion_ended_at), ("Discharged", session.discharged_at),
    ]
    return [(label, _clock(moment, tz)) for label, moment in recorded if moment]


def board_row(session: Session, *, now: dt.datetime, tz, signed: set[int]) -> BoardRow:
    stage = session.day_stage_at(now)
    step, step_label = NEXT_STEP.get(stage, ("", ""))
    return BoardRow(
        session=session,
        stage=stage,
        stage_label=str(DayStage(stage).label),
        consent_ok=session.patient_id in signed,
        consent_url=_consent_url(session),
        # Said where it matters: before the infusion starts.
        consent_needed=session.patient_id not in signed and stage in (DayStage.BOOKED, DayStage.ARRIVED),
        alerts=_alerts(session, stage, now, tz),
        flags=session.pre_check_flags if stage in (DayStage.ARRIVED, DayStage.INFUSING) else [],
        step=step,
        step_label=step_label,
        can_leave=stage in (DayStage.ARRIVED, DayStage.INFUSING, DayStage.RECOVERING, DayStage.READY),
        can_no_show=stage == DayStage.BOOKED and now >= session.start,
        times=_times(session, tz),
    )


def board(*, day: dt.date, now: dt.datetime) -> dict:
    clinic = ClinicSettings.load()
    tz = clinic.tz
    sessions = list(
        Session.objects.filter(start__gte=day_start(day, tz), start__lt=day_start(day + dt.timedelta(days=1), tz))
        .not_cancelled()
        .select_related("patient", "chair", "arrived_by", "infusion_started_by", "infusion_ended_by", "discharged_by")
        .order_by("chair__order", "chair__name", "start", "pk")
    )
    signed = consent_current_patient_ids({s.patient_id for s in sessions})
    rows = [board_row(s, now=now, tz=tz, signed=signed) for s in sessions]
    return {"rows": rows, "day": day, "tz": tz, "now": now, "clinic": clinic}
