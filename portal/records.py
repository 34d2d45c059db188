"""The staff's patient search (/staff/patients/?q=) and the patient record (/staff/patients/<pk>/).

The record's sections come from each app's `record_panels(request, patient=...)` in its
`panels.py` (portal.panels), so the portal shows screenings, sessions and reviews without
naming the apps that hold them. Every look is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from portal import services
from portal.clock import clinic_tz
from portal.decorators import staff_required
from portal.discovery import app_modules
from portal.form_errors import apply_errors
from portal.forms import PatientDetailsForm, PatientSearchForm
from portal.models import Patient
from portal.panels import collect
from portal.search import patient_search


def next_sessions(patients) -> dict:
    """Patient pk -> their next session's start, from whichever app books sessions."""
    found: dict = {}
    for module in app_modules("panels"):
        func = getattr(module, "patient_next_sessions", None)
        if func is not None:
            found.update(func(patients))
    return found


@never_cache
@require_safe
@staff_required
def search(request):
    form = PatientSearchForm(request.GET or None)
    query = request.GET.get("q", "")
    result = patient_search(query=query)
    if result.query and not result.refused:
        services.patient_search_audit(actor=request.user, query=result.query, patients=result.patients, request=request)
    starts = next_sessions(result.patients)
    rows = [{"patient": patient, "next_session": starts.get(patient.pk)} for patient in result.patients]
    return render(request, "portal/patient_search.html", {"form": form, "result": result, "rows": rows, "tz": clinic_tz()})


@never_cache
@require_safe
@staff_required
def record(request, pk: int):
    patient = get_object_or_404(Patient.objects.for_user(request.user), pk=pk)
    services.audit_record(actor=request.user, action="patient.record_view", patient=patient, obj=patient,
                          request=request)
    panels = collect("record", request, patient=patient)
    return render(request, "portal/patient_record.html", {"patient": patient, "panels": panels, "tz": clinic_tz()})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def edit(request, pk: int):
    patient = get_object_or_404(Patient.objects.for_user(request.user), pk=pk)
    initial = {name: getattr(patient, name) for name in services.DETAIL_FIELDS}
    form = PatientDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, by=request.user, changes=form.cleaned_data, request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Saved the patient's details.")
            return redirect("patient-record", pk=patient.pk)
    return render(request, "portal/patient_edit.html", {"patient": patient, "form": form},
                  status=400 if form.errors else 200)
