"""PHQ-9 symptom reviews: the patient's questionnaire, result and trend; the
clinicians' per-patient chart and the item-9 alert path."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.clock import clinic_tz
from portal.decorators import clinician_required, patient_required, staff_required
from portal.form_errors import ErrorSummaryItem, apply_errors
from portal.models import Patient
from portal.services import audit_record
from scheduling.models import Session
from screening.models import Intake
from symptoms import phq9, safety, services
from symptoms.charts import CHART, trend_build
from symptoms.forms import AlertReviewForm, ContactAttemptForm, phq9_answers_read
from symptoms.models import SafetyAlert, SymptomReview


def _own_patient(request) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404
    return patient


def _chart_context(reviews) -> dict:
    return {"trend": trend_build(reviews), "chart": CHART}


@never_cache
@patient_required
def home(request):
    patient = _own_patient(request)
    reviews = list(SymptomReview.objects.filter(patient=patient).chronological().select_related("session"))
    points = services.review_points(patient=patient)
    next_due = next((p for p in points if p["state"] in ("due", "overdue")), None)
    return render(
        request, "symptoms/home.html", {"points": points, "next_due": next_due, **_chart_context(reviews)}
    )


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def answer(request, session_pk: int | None = None):
    patient = _own_patient(request)
    session = None
    if session_pk is not None:
        # Only review points (the 5th, 10th and 15th session) take a questionnaire.
        session = get_object_or_404(
            Session.objects.for_user(request.user).filter(patient=patient, review_due=True).not_cancelled(),
            pk=session_pk,
        )
    if session is not None and session.end > timezone.now():
        messages.info(request, _("This questionnaire opens when that session has ended."))
        return redirect("symptoms:home")
    existing = SymptomReview.objects.filter(patient=patient, session=session).first()
    if existing is not None:
        messages.info(request, _("You already answered this questionnaire. Your first answers stand."))
        return redirect("symptoms:result", pk=existing.pk)
    chosen: list = [None] * len(phq9.ITEMS)
    difficulty = ""
    missing: list[int] = []
    error = ""
    if request.method == "POST":
        chosen, missing = phq9_answers_read(request.POST)
        difficulty = request.POST.get("difficulty", "")
        if not missing:
            try:
                review = services.phq9_record(
                    patient=patient, answers=chosen, session=session, request=request, difficulty=difficulty
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                if not review.created:
                    messages.info(request, _("You already answered this questionnaire. Your first answers stand."))
                return redirect("symptoms:result", pk=review.pk)
    items = [
        {"number": n, "loinc": loinc, "text": text, "chosen": chosen[n - 1], "missing": n in missing}
        for n, (loinc, text) in enumerate(phq9.ITEMS, start=1)
    ]
    return render(
        request,
        "symptoms/answer.html",
        {"items": items, "choices": phq9.CHOICES, "stem": phq9.STEM, "session": session, "missing": missing,
         "difficulty": {"text": phq9.DIFFICULTY_TEXT, "choices": phq9.DIFFICULTY_CHOICES, "chosen": difficulty},
         "error": error, "error_summary": _phq9_error_items(missing, error),
         "error_summary_title": _("Please answer every question before you send.")},
    )


def _phq9_error_items(missing: list[int], error: str) -> list[ErrorSummaryItem]:
    items = [ErrorSummaryItem(f"item{n}-0", _("Question %(n)s has no answer yet.") % {"n": n}) for n in missing]
    if error:
        items.append(ErrorSummaryItem("item1-0", error))
    return items


@never_cache
@patient_required
def result(request, pk: int):
    review = get_object_or_404(SymptomReview.objects.for_user(request.user), pk=pk)
    reviews = list(SymptomReview.objects.filter(patient=review.patient).chronological())
    return render(request, "symptoms/result.html", {"review": review, **_chart_context(reviews)})


def _can_read_answers(user) -> bool:
    return user.is_clinician or user.has_perm("symptoms.view_symptomreview")


@never_cache
@staff_required
def patient_chart(request, patient_pk: int, form=None, form_alert_id=None, contact_form=None):
    patient = get_object_or_404(Patient.objects.for_user(request.user), pk=patient_pk)
    audit_record(actor=request.user, action="symptom_review.view", patient=patient, obj=patient, request=request)
    reviews = list(
        SymptomReview.objects.filter(patient=patient).chronological().select_related("session", "safety_alert")
    )
    alerts = list(
        SafetyAlert.objects.filter(patient=patient).select_related("review", "resolved_by")
        .prefetch_related("contact_attempts__by")
    )
    for alert in alerts:
        alert.form = form if form is not None and form_alert_id == alert.pk else AlertReviewForm(alert_id=alert.pk)
        alert.contact_form = (
            contact_form if contact_form is not None and form_alert_id == alert.pk else ContactAttemptForm(alert_id=alert.pk)
        )
    context = {
        "patient": patient,
        "reviews": reviews,
        "points": services.review_points(patient=patient),
        "alerts": alerts,
        "can_read_answers": _can_read_answers(request.user),
        "can_resolve": request.user.is_clinician,
        "items": phq9.ITEMS,
        "intake": Intake.objects.filter(patient=patient).first(),
        "tz": clinic_tz(),
        # The refused alert review, for the page's error summary and title (base.html).
        "alert_form": form,
        **_chart_context(reviews),
    }
    return render(request, "symptoms/patient_chart.html", context)


@never_cache
@require_POST
@clinician_required
def alert_contact(request, pk: int):
    alert = get_object_or_404(SafetyAlert.objects.select_related("patient"), pk=pk)
    form = ContactAttemptForm(request.POST, alert_id=alert.pk)
    # The time typed is the clinic's wall clock.
    with timezone.override(clinic_tz()):
        valid = form.is_valid()
    if valid:
        at = form.cleaned_data["at"]
        try:
            safety.contact_attempt_record(alert=alert, by=request.user, outcome=form.cleaned_data["outcome"], at=at,
                                          note=form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Call recorded."))
            return redirect("symptoms:patient", patient_pk=alert.patient_id)
    return patient_chart(request, alert.patient_id, form_alert_id=alert.pk, contact_form=form)


@never_cache
@require_POST
@clinician_required
def alert_resolve(request, pk: int):
    alert = get_object_or_404(SafetyAlert.objects.select_related("patient"), pk=pk)
    form = AlertReviewForm(request.POST, alert_id=alert.pk)
    if form.is_valid():
        try:
            services.safety_alert_resolve(alert=alert, clinician=request.user, note=form.cleaned_data["note"],
                                          request=request)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Alert reviewed and closed. Your note is on the patient's record."))
            return redirect("symptoms:patient", patient_pk=alert.patient_id)
    return patient_chart(request, alert.patient_id, form=form, form_alert_id=alert.pk)


def moved_permanently(request, rest: str = ""):
    """The reviews lived under /screening/symptoms/ until they became an app of their own:
    old links, bookmarks and emails land on the same page under /symptoms/, query string kept.
    A form posted to an old address (a page opened before the move) keeps its method and
    answers with 308; everything else gets a 301."""
    location = reverse("symptoms:home") + escape_uri_path(rest)
    if request.META.get("QUERY_STRING"):
        location += f"?{request.META['QUERY_STRING']}"
    return HttpResponsePermanentRedirect(location, preserve_request=request.method not in ("GET", "HEAD"))
