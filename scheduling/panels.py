"""The scheduling sections of /me/ (the patient's sessions and calendar) and /staff/ (today's chairs)."""

from __future__ import annotations

from django.db.models import Min
from django.template.loader import render_to_string
from django.utils import timezone

from portal.clock import clinic_today
from portal.models import ClinicSettings
from scheduling.models import CalendarSubscription, Chair, Course, Notification, Session
from scheduling.notifications.services import notifications_for_patient
from scheduling.notifications.views import staff_panel as notification_staff_panel

PAST_SHOWN = 20


def me_panels(request, *, patient) -> list[str]:
    clinic = ClinicSettings.load()
    now = timezone.now()
    sessions = list(Session.objects.filter(patient=patient).select_related("course").order_by("start", "pk"))
    upcoming = [s for s in sessions if s.start >= now]
    past = [s for s in sessions if s.start < now][-PAST_SHOWN:][::-1]
    courses = list(Course.objects.filter(patient=patient).order_by("-first_day", "-pk"))
    context = {
        "upcoming": upcoming,
        "past": past,
        "courses": courses,
        "subscription": CalendarSubscription.objects.filter(patient=patient).exists(),
        "clinic": clinic,
        "tz": clinic.tz,
    }
    return [render_to_string("scheduling/panels/me.html", context, request=request)]


def staff_panels(request) -> list[str]:
    clinic = ClinicSettings.load()
    tz = clinic.tz
    today = clinic_today(tz)
    chairs = list(Chair.objects.all())
    todays = list(Session.objects.on_day(today, tz).not_cancelled().select_related("patient").order_by("start"))
    by_chair = {chair.pk: [] for chair in chairs}
    for session in todays:
        by_chair.setdefault(session.chair_id, []).append(session)
    rows = [{"chair": chair, "sessions": by_chair[chair.pk]} for chair in chairs]
    context = {"rows": rows, "today": today, "count": len(todays), "tz": tz}
    return [
        render_to_string("scheduling/panels/staff.html", context, request=request),
        notification_staff_panel(request),
    ]


MESSAGES_SHOWN = 20


def patient_next_sessions(patients) -> dict:
    """Patient pk -> the start of their next booked session, for the staff search. One query."""
    if not patients:
        return {}
    rows = (
        Session.objects.upcoming().filter(patient__in=patients)
        .values("patient").annotate(first=Min("start")).values_list("patient", "first")
    )
    return dict(rows)


def record_panels(request, *, patient) -> list[str]:
    """The patient record's courses with every session's state, and the messages sent and failed."""
    courses = list(Course.objects.filter(patient=patient).prefetch_related("sessions__chair").order_by("-first_day", "-pk"))
    messages = list(notifications_for_patient(patient).exclude(status=Notification.Status.PENDING)[:MESSAGES_SHOWN])
    context = {"patient": patient, "courses": courses, "messages": messages}
    return [render_to_string("scheduling/panels/record.html", context, request=request)]
