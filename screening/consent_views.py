"""Informed consent pages: the patient reads and signs the clinic's current form, keeps a
printable copy of the exact version signed, and staff record a signature the patient
types on a clinic tablet. The rules (whose name, which version, the audit) live in
screening.consent; these views look up, call it, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.clock import clinic_now, clinic_tz, clock_text
from portal.decorators import patient_required, staff_required
from portal.form_errors import apply_errors
from portal.models import Patient
from portal.services import audit_record
from screening.consent import consent_blocks, consent_sign, consent_signature_current, consent_text
from screening.forms import ConsentSignForm
from screening.models import Consent, ConsentVersion


def _sign(form: ConsentSignForm, *, patient: Patient, request, recorded_by=None) -> Consent | None:
    """Sign through the service; a refusal becomes the form's errors (nothing is written)."""
    try:
        return consent_sign(
            patient=patient, signed_name=form.cleaned_data["signed_name"], recorded_by=recorded_by, request=request
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


def sign_context(*, patient: Patient, form: ConsentSignForm) -> dict:
    """What a signing page shows: the current version's text, whether this patient's
    signature still counts, every signature they made, and the time a signature records."""
    tz = clinic_tz()
    version = ConsentVersion.objects.current()
    signatures = list(
        Consent.objects.filter(patient=patient).select_related("version", "recorded_by").order_by("-signed_at", "-pk")
    )
    current = consent_signature_current(patient=patient)
    return {
        "patient": patient,
        "form": form,
        "version": version,
        "blocks": consent_blocks(version) if version else [],
        "signatures": signatures,
        "current": current,
        "signed_this_version": any(s.version_id == getattr(version, "pk", None) for s in signatures),
        "must_sign_again": current is None and bool(signatures),
        "now_text": clock_text(clinic_now(tz), tz),
        "tz": tz,
    }


def _own_patient(request) -> Patient:
    patient = Patient.objects.for_user(request.user).filter(user=request.user).first()
    if patient is None:
        raise Http404("This account is not linked to a patient record.")
    return patient


@never_cache
@require_http_methods(["GET", "POST"])
@patient_required
def consent(request):
    """The patient's own consent page: read the current form, type your name, tick, sign."""
    patient = _own_patient(request)
    form = ConsentSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signed = _sign(form, patient=patient, request=request)
        if signed is not None:
            messages.success(
                request,
                _("Thank you. You signed the consent form. Here is your copy to keep or print. "
                  "We also email a copy if we have your email address."),
            )
            return redirect("screening:consent_copy", signed.pk)
    return render(request, "screening/consent.html", sign_context(patient=patient, form=form))


@never_cache
@login_required
def consent_copy(request, pk: int):
    """A printable copy of one signature and the exact text signed: the patient's own, or
    any patient's for staff (audited)."""
    signed = get_object_or_404(
        Consent.objects.for_user(request.user).select_related("patient", "version", "recorded_by"), pk=pk
    )
    is_staff_view = request.user.is_clinic_staff
    if is_staff_view:
        audit_record(actor=request.user, action="consent.view", patient=signed.patient, obj=signed, request=request)
    context = {
        "consent": signed,
        "version": signed.version,
        "blocks": consent_text(signed),
        "is_staff_view": is_staff_view,
        "tz": clinic_tz(),
    }
    return render(request, "screening/consent_copy.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def consent_staff_sign(request, patient_pk: int):
    """The clinic tablet: staff open a patient's page, the patient reads and types their own
    name; the signature names the staff member who recorded it."""
    patient = get_object_or_404(Patient.objects.for_user(request.user), pk=patient_pk)
    form = ConsentSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signed = _sign(form, patient=patient, request=request, recorded_by=request.user)
        if signed is not None:
            messages.success(
                request,
                _("Signed: version %(number)s, recorded at %(when)s. Please hand the tablet back to the clinic staff.")
                % {"number": signed.version.number, "when": clock_text(signed.signed_at)},
            )
            return redirect("screening:consent_staff_sign", patient.pk)
    # The page shows the patient's signatures: every look is recorded.
    audit_record(actor=request.user, action="consent.view", patient=patient, request=request)
    return render(request, "screening/consent_staff.html", sign_context(patient=patient, form=form))
