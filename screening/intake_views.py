"""The patient's intake pages: one page per step, then a summary to send. /me/intake/"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.decorators import patient_required
from portal.form_errors import apply_errors
from portal.models import Patient
from screening import intake as service
from screening.intake_forms import STEP_FORMS

STEP_NAMES = list(service.STEPS)


def _patient(request) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404
    return patient


@never_cache
@require_http_methods(["GET", "POST"])
@patient_required
def step(request, name: str):
    if name not in STEP_FORMS:
        raise Http404
    patient = _patient(request)
    intake = service.intake_read(patient)
    initial = {field: getattr(intake, field) for field in service.STEPS[name]}
    if name == "reasons" and initial["date_of_birth"] is None:
        initial["date_of_birth"] = patient.date_of_birth
    form = STEP_FORMS[name](request.POST or None, initial=initial)
    number = STEP_NAMES.index(name) + 1
    if request.method == "POST" and form.is_valid():
        try:
            service.intake_step_save(patient=patient, step=name, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if request.POST.get("action") == "back" and number > 1:
                return redirect("intake:step", name=STEP_NAMES[number - 2])
            if number < len(STEP_NAMES):
                return redirect("intake:step", name=STEP_NAMES[number])
            return redirect("intake:review")
    context = {"form": form, "number": number, "total": len(STEP_NAMES), "name": name, "intake": intake}
    return render(request, "screening/intake_step.html", context, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@patient_required
def review(request):
    patient = _patient(request)
    intake = service.intake_read(patient)
    if request.method == "POST":
        try:
            service.intake_submit(patient=patient, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            missing = service.intake_steps_missing(intake) or STEP_NAMES
            return redirect("intake:step", name=missing[0])
        messages.success(request, "Thank you. The clinic has your answers. You can change them at any time.")
        return redirect("me")
    missing = service.intake_steps_missing(intake)
    return render(request, "screening/intake_review.html",
                  {"intake": intake, "missing": missing, "steps": STEP_NAMES})
