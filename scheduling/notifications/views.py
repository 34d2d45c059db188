"""Staff views of the notification outbox: what needs attention, each patient's log, resend."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.decorators import staff_required
from portal.models import ClinicSettings, Patient
from portal.services import audit_record
from scheduling.models import Notification
from scheduling.notifications.services import RESENDABLE, notification_resend, notifications_for_patient

LOG_LIMIT = 300


@never_cache
@require_GET
@staff_required
def attention(request):
    """Failed and undeliverable messages across patients: the front desk's to-do list."""
    rows = list(
        Notification.objects.for_user(request.user)
        .filter(status__in=RESENDABLE)
        .select_related("session__patient", "course__patient")
        .order_by("-send_at", "-pk")[:LOG_LIMIT]
    )
    audit_record(actor=request.user, action="notifications.view_attention", request=request, detail={"rows": len(rows)})
    return render(
        request,
        "scheduling/notifications/staff_attention.html",
        {"rows": rows, "clinic_tz": ClinicSettings.load().time_zone},
    )


@never_cache
@require_GET
@staff_required
def patient_log(request, patient_id: int):
    patient = get_object_or_404(Patient.objects.for_user(request.user), pk=patient_id)
    rows = list(notifications_for_patient(patient)[:LOG_LIMIT])
    audit_record(actor=request.user, action="notifications.view_log", patient=patient, obj=patient, request=request)
    return render(
        request,
        "scheduling/notifications/staff_log.html",
        {
            "patient": patient,
            "rows": rows,
            "resendable": RESENDABLE,
            "clinic_tz": ClinicSettings.load().time_zone,
            "limit": LOG_LIMIT,
        },
    )


@require_POST
@staff_required
def resend(request, pk: int):
    notification = get_object_or_404(
        Notification.objects.for_user(request.user).select_related("session", "course"), pk=pk
    )
    try:
        notification_resend(notification=notification, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The message is queued and goes out within a minute."))
    return redirect("notifications:patient-log", patient_id=notification.patient_id)


def staff_panel(request) -> str:
    """The /staff/ section for messages: how many need attention, and the link to them.
    `scheduling.panels.staff_panels` can append it to its list."""
    needing = Notification.objects.filter(status__in=RESENDABLE).count()
    return render_to_string(
        "scheduling/notifications/staff_panel.html", {"needing": needing}, request=request
    )
