"""Scheduling pages: the front desk's booking, day sheet, week view and session
changes; the patient's calendar file and subscription address.

Views stay thin: a scoped lookup (another patient gets 404), one service call,
render or redirect. Every staff view of a patient's data is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from portal.clock import clinic_today, clinic_tz, local_date
from portal.decorators import patient_required, staff_required
from portal.form_errors import apply_errors
from portal.models import ClinicSettings, Patient
from portal.services import audit_record, patient_invite, patient_register
from scheduling import services
from scheduling.availability import day_label
from scheduling.board import board as board_read
from scheduling.calendar import course_calendar, patient_calendar
from scheduling.forms import (
    BoardArrivalForm,
    BoardStepForm,
    BookingForm,
    CancelForm,
    CancelRestForm,
    ClosedDayForm,
    DateJumpForm,
    MarkForm,
    RegisterPatientForm,
    RescheduleForm,
    slot_formset_for,
    slot_formset_from_post,
)
from scheduling.models import CalendarSubscription, ClosedDay, Course, Session
from scheduling.notifications.render import no_driving_context
from scheduling.planning import course_plan
from scheduling.sheets import day_sheet, week_sheet
from screening.models import Intake
from screening.services import consent_signature_current

# --- Booking ---------------------------------------------------------------------


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def book(request):
    """Propose every session before writing anything; book the whole course or none."""
    initial = {"first_day": clinic_today() + dt.timedelta(days=1)}
    patient_param = request.GET.get("patient", "")
    # isdigit() also accepts digits such as "²" that int() refuses.
    if patient_param.isascii() and patient_param.isdigit() and len(patient_param) < 19:
        initial["patient"] = int(patient_param)
    form = BookingForm(request.POST or None, initial=initial)
    context = {"form": form, "plan": None, "slots": None, "rows": []}
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "propose")
        rows = slot_formset_from_post(request.POST) if action in ("update", "book") else None
        if rows is not None and not rows.is_valid():
            # Rows that cannot be read are shown again as typed, each with its error; nothing is checked.
            context.update(slots=rows, rows=[(row, None) for row in rows.forms], rows_unread=True)
            context["intake"] = _intake_of(form, initial)
            return render(request, "scheduling/book.html", context)
        slots = [row.slot() for row in rows.forms] if rows is not None else None
        wanted = form.service_kwargs()
        booking_failed = False
        if action == "book":
            try:
                course = services.course_book(**wanted, slots=slots, booked_by=request.user, request=request)
            except ValidationError as exc:
                apply_errors(form, exc)
                booking_failed = True
            else:
                messages.success(
                    request,
                    _("Booked %(count)s sessions for %(name)s.")
                    % {"count": course.sessions.count(), "name": course.patient.full_name},
                )
                return redirect("scheduling:course", pk=course.pk)
        plan = course_plan(**wanted, slots=slots, with_alternatives=True)
        if not booking_failed:
            for key, errors in plan.errors.items():
                form.add_error(key if key in form.fields else None, errors)
        if plan.sessions:
            slot_forms = slot_formset_for(plan)
            context.update(plan=plan, slots=slot_forms, rows=list(zip(slot_forms.forms, plan.sessions, strict=True)))
    context["intake"] = _intake_of(form, initial)
    return render(request, "scheduling/book.html", context)


def _intake_of(form, initial):
    """The chosen patient's intake, so the booking shows their preferred days and ride home."""
    patient = form.cleaned_data.get("patient") if form.is_bound and hasattr(form, "cleaned_data") else None
    patient_id = patient.pk if patient is not None else initial.get("patient")
    return Intake.objects.filter(patient_id=patient_id).first() if patient_id else None


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def register_patient(request):
    """A patient who phoned in: their record, for the clinician's clearance queue, and an optional invitation."""
    form = RegisterPatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = patient_register(
                first_name=data["first_name"], last_name=data["last_name"], email=data["email"],
                phone=data["phone"], date_of_birth=data["date_of_birth"], registered_by=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is registered. A clinician must clear them before a course can be booked.")
                % {"name": patient.full_name},
            )
            if data["invite"]:
                try:
                    patient_invite(patient=patient, invited_by=request.user)
                except ValidationError as exc:
                    messages.warning(request, _("No invitation was sent: %(why)s") % {"why": " ".join(exc.messages)})
                else:
                    messages.info(request, _("A portal invitation was emailed to %(email)s.") % {"email": patient.email})
            return redirect("staff")
    return render(request, "scheduling/register.html", {"form": form})


# --- Day sheet and week view -------------------------------------------------------


def _jump(request, name):
    form = DateJumpForm(request.GET)
    if form.is_valid():
        return redirect(name, day=form.cleaned_data["date"].isoformat())
    return redirect(name, day=clinic_today().isoformat())


def _parse_day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Http404("Not a date") from None
    # The sheets step a week either way; days at the calendar's edge have no sheet.
    if not dt.date(1900, 1, 1) <= day <= dt.date(9000, 12, 31):
        raise Http404("Date out of range")
    return day


@never_cache
@staff_required
@require_GET
def day_jump(request):
    return _jump(request, "scheduling:day")


@never_cache
@staff_required
@require_GET
def day(request, day):
    day = _parse_day(day)
    sheet = day_sheet(day=day)
    audit_record(
        actor=request.user, action="schedule.day_view", request=request,
        detail={"date": day.isoformat(), "sessions": len(sheet["sessions"]) + len(sheet["cancelled"])},
    )
    context = {
        **sheet,
        "jump": DateJumpForm(initial={"date": day}),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "today": clinic_today(),
    }
    return render(request, "scheduling/day.html", context)


@never_cache
@staff_required
@require_GET
def week_jump(request):
    return _jump(request, "scheduling:week")


@never_cache
@staff_required
@require_GET
def week(request, day):
    day = _parse_day(day)
    sheet = week_sheet(day=day)
    audit_record(
        actor=request.user, action="schedule.week_view", request=request,
        detail={"monday": sheet["monday"].isoformat(), "sessions": len(sheet["sessions"])},
    )
    context = {
        **sheet,
        "jump": DateJumpForm(initial={"date": day}),
        "previous": sheet["monday"] - dt.timedelta(days=7),
        "next": sheet["monday"] + dt.timedelta(days=7),
    }
    return render(request, "scheduling/week.html", context)


# --- One session, one course ----------------------------------------------------------


def _session_page(request, session, *, status=200, **forms):
    clinic = ClinicSettings.load()
    tz = clinic.tz
    local = session.start.astimezone(tz)
    week = (local.date() - session.course.first_day).days // 7
    week_first = session.course.first_day + dt.timedelta(days=7 * week)
    context = {
        "session": session,
        "tz": tz,
        # The move form states its rules before it refuses (issue 16).
        "clear_days": clinic.min_clear_days,
        "week": {"number": week + 1, "first": week_first, "last": week_first + dt.timedelta(days=6)},
        "reschedule_form": forms.get("reschedule_form")
        or RescheduleForm(initial={"day": local.date(), "start_time": local.time(), "chair": session.chair_id}),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "mark_form": forms.get("mark_form") or MarkForm(),
        # An infusion needs the patient's current consent: say so here, with the way to fix it.
        "consent": consent_signature_current(patient=session.patient),
    }
    return render(request, "scheduling/session.html", context, status=status)


def _staff_session(request, pk):
    return get_object_or_404(
        Session.objects.for_user(request.user).select_related("patient", "chair", "course"), pk=pk
    )


@never_cache
@staff_required
@require_GET
def session_detail(request, pk):
    session = _staff_session(request, pk)
    audit_record(actor=request.user, action="session.view", patient=session.patient, obj=session, request=request)
    return _session_page(request, session)


def _session_action(request, pk, form_class, form_name: str, act):
    """One staff change to a session: its form, then `act(session, cleaned_data)` (the service
    call, returning the success message); a refusal shows the session page again with the form."""
    session = _staff_session(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = act(session, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("scheduling:session", pk=session.pk)
    return _session_page(request, session, status=400, **{form_name: form})


@staff_required
@require_POST
def session_cancel(request, pk):
    def act(session, data):
        services.session_cancel(session=session, by=request.user, reason=data["reason"], request=request)
        return _("The session was cancelled. The patient is told.")

    return _session_action(request, pk, CancelForm, "cancel_form", act)


@staff_required
@require_POST
def session_reschedule(request, pk):
    def act(session, data):
        services.session_reschedule(
            session=session, day=data["day"], start_time=data["start_time"], chair=data["chair"],
            by=request.user, reason=data["reason"], request=request,
        )
        return _("The session was moved. The patient is told.")

    return _session_action(request, pk, RescheduleForm, "reschedule_form", act)


@staff_required
@require_POST
def session_mark(request, pk):
    def act(session, data):
        services.session_mark(session=session, status=data["status"], by=request.user, reason=data["reason"],
                              request=request)
        return _("The session was marked %(status)s.") % {"status": session.get_status_display().lower()}

    return _session_action(request, pk, MarkForm, "mark_form", act)


def _course_page(request, course, *, status=200, form=None):
    sessions = list(course.sessions.select_related("chair"))
    context = {
        "course": course,
        "sessions": sessions,
        "tz": clinic_tz(),
        "form": form or CancelRestForm(),
        "now": timezone.now(),
    }
    return render(request, "scheduling/course.html", context, status=status)


@never_cache
@staff_required
@require_GET
def course_detail(request, pk):
    course = get_object_or_404(Course.objects.for_user(request.user).select_related("patient"), pk=pk)
    audit_record(actor=request.user, action="course.view", patient=course.patient, obj=course, request=request)
    return _course_page(request, course)


@staff_required
@require_POST
def course_cancel_rest(request, pk):
    course = get_object_or_404(Course.objects.for_user(request.user).select_related("patient"), pk=pk)
    form = CancelRestForm(request.POST)
    if form.is_valid():
        count = services.course_cancel_rest(course=course, by=request.user, reason=form.cleaned_data["reason"],
                                            request=request)
        messages.success(
            request,
            ngettext("%(count)s upcoming session cancelled.", "%(count)s upcoming sessions cancelled.", count)
            % {"count": count},
        )
        return redirect("scheduling:course", pk=course.pk)
    return _course_page(request, course, status=400, form=form)


# --- The patient's calendar ------------------------------------------------------------


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def my_calendar(request):
    """Every course of the signed-in patient as one .ics file."""
    courses = list(Course.objects.filter(patient__user=request.user))
    if not courses:
        raise Http404("No course")
    return _ics(course_calendar(courses=courses), "my-sessions.ics")


@never_cache
@patient_required
@require_GET
def my_session(request, pk):
    """One of the patient's own sessions, with the printable no-driving notice."""
    session = get_object_or_404(Session.objects.for_user(request.user).select_related("course", "chair"), pk=pk)
    clinic = ClinicSettings.load()
    return render(
        request,
        "scheduling/my_session.html",
        {"session": session, "clinic": clinic, "tz": clinic.tz, **no_driving_context(session=session, clinic=clinic)},
    )


@login_required
@require_GET
def course_ics(request, pk):
    course = get_object_or_404(Course.objects.for_user(request.user), pk=pk)
    if request.user.is_clinic_staff:
        audit_record(actor=request.user, action="course.calendar_download", patient=course.patient, obj=course,
                     request=request)
    return _ics(course_calendar(courses=[course]), f"course-{course.pk}.ics")


@never_cache
@patient_required
@require_POST
def subscription_new(request):
    """A new private subscription address for all the patient's sessions; the old one stops
    working. Shown once."""
    patient = get_object_or_404(Patient, user=request.user)
    token = services.calendar_subscription_new(patient=patient, by=request.user, request=request)
    address = request.build_absolute_uri(reverse("scheduling:subscription-feed", args=[token]))
    webcal = "webcal://" + address.split("://", 1)[1]
    return render(request, "scheduling/subscription.html", {"address": address, "webcal": webcal})


@patient_required
@require_POST
def subscription_stop(request):
    patient = get_object_or_404(Patient, user=request.user)
    services.calendar_subscription_stop(patient=patient, by=request.user, request=request)
    messages.success(request, _("The subscription address no longer works."))
    return redirect("me")


@login_required
@require_POST
def course_subscription_stop(request, pk):
    """Stops an address made for one course before addresses covered every course."""
    course = get_object_or_404(Course.objects.filter(patient__user=request.user), pk=pk)
    services.calendar_address_revoke(course=course, by=request.user, request=request)
    messages.success(request, _("The subscription address no longer works."))
    return redirect("me")


@require_safe
def subscription_feed(request, token):
    """Calendar apps fetch this without signing in: the unguessable token is the key. A
    patient-wide address, or an older per-course one: both give every session of the
    patient, past and future. ETag and Last-Modified let an app poll without downloading
    an unchanged file (304)."""
    subscription = CalendarSubscription.objects.with_token(token).first()
    patient_id = subscription.patient_id if subscription else (
        Course.objects.with_calendar_token(token).values_list("patient_id", flat=True).first()
    )
    if patient_id is None:
        raise Http404("Unknown calendar address")
    content, changed = patient_calendar(patient_id=patient_id)
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    last_modified = int(changed.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = _ics(content, "my-sessions.ics")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    # Calendar apps may keep a copy but must ask again (cheaply, with the ETag) each time.
    response["Cache-Control"] = "private, no-cache"
    return response


# --- The chair board -------------------------------------------------------------------

BOARD_STEPS = {
    "arrive": (services.session_arrive, _("Checked in.")),
    "start": (services.session_infusion_start, _("Infusion start recorded.")),
    "end": (services.session_infusion_end, _("Infusion end recorded.")),
    "discharge": (services.session_discharge, _("Discharged. The no-driving notice is on its way.")),
    "left": (services.session_left_early, _("Recorded: left before discharge.")),
    "no-show": (services.session_no_show, _("Marked as a no-show.")),
}


def _board_page(request, *, status=200, errors=None):
    """Today's chair board; `errors` (session pk, messages) keeps a refused step's form as sent."""
    context = board_read(day=clinic_today(), now=timezone.now())
    audit_record(
        actor=request.user, action="schedule.board_view", request=request,
        detail={"date": context["day"].isoformat(), "sessions": len(context["rows"])},
    )
    if errors:
        pk, problems = errors
        for row in context["rows"]:
            if row.session.pk == pk:
                row.errors, row.values = problems, request.POST
    context["is_clinician"] = request.user.is_clinician
    fragment = request.method == "GET" and request.GET.get("fragment") == "1"
    template = "scheduling/_board_rows.html" if fragment else "scheduling/board.html"
    return render(request, template, context, status=status)


@never_cache
@staff_required
@require_GET
def board(request):
    return _board_page(request)


@staff_required
@require_POST
def board_step(request, pk, step):
    """One step of the day from the board. A refusal shows the board again with the form as sent
    and the reason next to it; the wrong role (a discharge by the front desk) is a 403."""
    if step not in BOARD_STEPS:
        raise Http404("No such step")
    session = _staff_session(request, pk)
    service, done = BOARD_STEPS[step]
    form = (BoardArrivalForm if step == "arrive" else BoardStepForm)(request.POST)
    if not form.is_valid():
        problems = [f"{form.fields[f].label if f in form.fields else ''}: {m}".lstrip(": ")
                    for f, ms in form.errors.items() for m in ms]
        return _board_page(request, status=400, errors=(session.pk, problems))
    kwargs = form.service_kwargs()
    if step != "no-show":
        tz = clinic_tz()
        kwargs["at"] = form.at(day=local_date(session.start, tz), tz=tz, now=timezone.now())
    try:
        service(session=session, by=request.user, request=request, **kwargs)
    except ValidationError as exc:
        return _board_page(request, status=400, errors=(session.pk, exc.messages))
    messages.success(request, f"{session.patient.full_name}: {done}")
    return redirect("scheduling:board")


# --- Closed days -------------------------------------------------------------------------


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def closed_days(request):
    """Holidays and other closed days, kept by front desk and clinicians: add one, or open a day
    again (POST "remove" with its id). The planner never offers a closed day."""
    clinic = ClinicSettings.load()
    removing = request.method == "POST" and "remove" in request.POST
    form = ClosedDayForm(request.POST if request.method == "POST" and not removing else None)
    if removing:
        pk = request.POST["remove"]
        closed = get_object_or_404(ClosedDay, clinic=clinic, pk=int(pk) if pk.isdigit() else 0)
        services.closed_day_remove(closed_day=closed, by=request.user, request=request)
        messages.success(request, _("The clinic is open again on %(day)s.") % {"day": day_label(closed.date)})
        return redirect("scheduling:closed-days")
    if request.method == "POST" and form.is_valid():
        try:
            closed = services.closed_day_add(day=form.cleaned_data["date"], reason=form.cleaned_data["reason"],
                                             by=request.user, request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The clinic is closed on %(day)s.") % {"day": day_label(closed.date)})
            return redirect("scheduling:closed-days")
    today = clinic_today(clinic.tz)
    context = {"form": form, "closed_days": clinic.closed_days.filter(date__gte=today), "today": today}
    return render(request, "scheduling/closed_days.html", context, status=400 if form.errors else 200)
