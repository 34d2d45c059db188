"""The screening sections of /me/ and /staff/."""

from django.template.loader import render_to_string

from portal.clock import clinic_tz
from screening.consent import consent_signature_current
from screening.models import Clearance, Consent, Intake, Screening

RECENT_DECIDED = 10


def staff_panels(request) -> list[str]:
    waiting = list(Screening.objects.waiting().flagged_first().select_related("patient"))
    decided = list(
        Screening.objects.filter(clearance__isnull=False)
        .select_related("patient", "clearance")
        .order_by("-clearance__decided_at", "-pk")[:RECENT_DECIDED]
    )
    return [
        render_to_string(
            "screening/panels/staff.html",
            {"waiting": waiting, "decided": decided, "is_clinician": request.user.is_clinician},
            request=request,
        )
    ]


def me_panels(request, *, patient) -> list[str]:
    screenings = list(Screening.objects.filter(patient=patient).order_by("-submitted_at", "-pk"))
    intake = Intake.objects.filter(patient=patient).first()
    return [
        render_to_string(
            "screening/panels/me.html", {"screenings": screenings, "intake": intake}, request=request
        ),
        _consent_panel(request, patient=patient),
    ]


def _consent_panel(request, *, patient) -> str:
    """Where the patient stands with the consent form: not signed, signed (which version,
    when), or asked to sign again after a material change."""
    current = consent_signature_current(patient=patient)
    signed_before = current is None and Consent.objects.filter(patient=patient).exists()
    context = {"current": current, "must_sign_again": signed_before, "tz": clinic_tz()}
    return render_to_string("screening/panels/consent.html", context, request=request)


def can_read_notes(user) -> bool:
    return user.is_clinician or user.has_perm("screening.view_clinicalnote")


def record_panels(request, *, patient) -> list[str]:
    """The patient record's screenings and clearance history. Answers and clinicians' notes are
    for clinicians only: the front desk sees when a screening came in and where it stands."""
    clinical = can_read_notes(request.user)
    screenings = list(Screening.objects.filter(patient=patient).select_related("clearance").order_by("-submitted_at", "-pk"))
    intake = Intake.objects.filter(patient=patient).first()
    context = {"patient": patient, "screenings": screenings, "clinical": clinical, "intake": intake,
               "changes": list(intake.changes.all()) if intake else []}
    if clinical:
        context["decisions"] = list(
            Clearance.objects.filter(patient=patient).select_related("clinician").order_by("-decided_at", "-pk")
        )
    return [render_to_string("screening/panels/record.html", context, request=request)]
