"""The self-screening: an introduction, one step per group, the result, and sending
it to the clinic. Progress lives in the Django session (keyed to the checklist
version), so answers survive a reload and Back, and nothing is stored without consent."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.clients import client_ip
from portal.decorators import clinician_required, staff_required
from portal.form_errors import ErrorSummaryItem, apply_errors
from portal.models import Patient
from portal.services import audit_record
from screening import services
from screening.forms import DecisionForm, SendForm, step_answers_read, step_notes_read
from screening.models import Clearance, Intake, Screening

SESSION_KEY = "screening"
SENT_KEY = "screening_sent"


def _progress(request, version) -> dict:
    """This visitor's answers so far. When the checklist changed since they started,
    the answers to questions still asked are kept and the rest dropped."""
    progress = request.session.get(SESSION_KEY)
    if not isinstance(progress, dict) or not isinstance(progress.get("answers"), dict):
        progress = {"version": version.number, "answers": {}, "key": uuid.uuid4().hex}
    if progress.get("version") != version.number:
        codes = set(version.codes)
        progress = {
            "version": version.number,
            "answers": {k: v for k, v in progress["answers"].items() if k in codes and v in services.ANSWERS},
            "key": uuid.uuid4().hex,
        }
    return progress


def _save(request, progress: dict) -> None:
    request.session[SESSION_KEY] = progress
    request.session.modified = True


def _first_incomplete(steps: list[dict], answers: dict) -> int | None:
    """Index of the first step with a question not yet answered, or None when all are."""
    for index, step in enumerate(steps):
        if any(item["code"] not in answers for item in step["conditions"]):
            return index
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def start(request):
    version = services.checklist_version_current()
    progress = _progress(request, version)
    if request.method == "POST":
        if request.POST.get("action") == "restart":
            progress = {"version": version.number, "answers": {}, "key": uuid.uuid4().hex}
        _save(request, progress)
        return redirect("screening:step", number=1)
    steps = version.steps()
    return render(
        request,
        "screening/start.html",
        {"steps": steps, "question_count": len(version.codes), "has_answers": bool(progress["answers"])},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def step(request, number: int):
    version = services.checklist_version_current()
    steps = version.steps()
    if not 1 <= number <= len(steps):
        raise Http404
    progress = _progress(request, version)
    answers = progress["answers"]
    first_incomplete = _first_incomplete(steps, answers)
    if first_incomplete is not None and number - 1 > first_incomplete:
        _save(request, progress)
        messages.error(
            request,
            _("Please answer the questions on step %(step)d first.") % {"step": first_incomplete + 1},
        )
        return redirect("screening:step", number=first_incomplete + 1)
    current = steps[number - 1]
    shown = {item["code"]: answers.get(item["code"], "") for item in current["conditions"]}
    missing: list[dict] = []
    problems: list[str] = []
    notes = progress.setdefault("notes", {})
    if request.method == "POST":
        given, missing, problems = step_answers_read(request.POST, current)
        given_notes, note_problems = step_notes_read(request.POST, current, given)
        problems = sorted({*problems, *note_problems})
        answers.update(given)
        if not note_problems:
            for item in current["conditions"]:
                notes.pop(item["code"], None)
            notes.update(given_notes)
        _save(request, progress)
        shown = {item["code"]: given.get(item["code"], "") for item in current["conditions"]}
        if request.POST.get("action") == "back":
            if number == 1:
                return redirect("screening:start")
            return redirect("screening:step", number=number - 1)
        if not missing and not problems:
            if number == len(steps):
                return redirect("screening:result")
            return redirect("screening:step", number=number + 1)
    else:
        _save(request, progress)
    return render(
        request, "screening/step.html",
        _step_context(request, current, number=number, total=len(steps), shown=shown, notes=notes,
                      missing=missing, problems=problems),
    )


def _step_context(request, current, *, number, total, shown, notes, missing, problems) -> dict:
    return {
        "step": current,
        "number": number,
        "total": total,
        "questions": [
            dict(item, answer=shown[item["code"]], note=_note_shown(request, notes, item["code"]))
            for item in current["conditions"]
        ],
        "missing": missing,
        "missing_codes": {item["code"] for item in missing},
        "problems": problems,
        "choices": [("yes", _("Yes")), ("no", _("No")), ("unsure", _("Not sure"))],
        "error_summary_title": _("Please answer every question before you go on"),
        "error_summary": [
            *(ErrorSummaryItem(f"{current['conditions'][0]['code']}-yes", str(p)) for p in problems),
            *(ErrorSummaryItem(f"{item['code']}-yes", _("No answer yet: %(question)s") % {"question": item["plain"]})
              for item in missing),
        ],
    }


def _note_shown(request, notes: dict, code: str) -> str:
    """A refused note comes back as typed, so nothing the patient wrote is lost."""
    if request.method == "POST" and f"note-{code}" in request.POST:
        return request.POST[f"note-{code}"]
    return notes.get(code, "")


def _complete_answers_or_redirect(request):
    version = services.checklist_version_current()
    steps = version.steps()
    progress = _progress(request, version)
    first_incomplete = _first_incomplete(steps, progress["answers"])
    if first_incomplete is not None:
        _save(request, progress)
        if request.session.get(SENT_KEY) and not progress["answers"]:
            messages.info(request, _("Your answers were already sent to the clinic. You do not need to send them again."))
            return None, redirect("screening:sent")
        messages.error(request, _("Please answer every question first. Questions without an answer are on this step."))
        return None, redirect("screening:step", number=first_incomplete + 1)
    return (version, steps, progress), None


@never_cache
def result(request):
    state, response = _complete_answers_or_redirect(request)
    if response:
        return response
    version, steps, progress = state
    evaluation = services.checklist_evaluate(answers=progress["answers"], version=version)
    context = _result_context(version, steps, progress, evaluation)
    context["form"] = SendForm(initial=_send_initial(request))
    return render(request, "screening/result.html", context)


def _result_context(version, steps, progress, evaluation) -> dict:
    words = {"yes": _("Yes"), "no": _("No"), "unsure": _("Not sure")}
    notes = progress.get("notes") or {}
    answered_steps = [
        {
            "number": index + 1,
            "title": step["title"],
            "items": [
                dict(item, question=item["plain"], answer_words=words[progress["answers"][item["code"]]],
                     note=notes.get(item["code"], "") if progress["answers"][item["code"]] != "no" else "")
                for item in step["conditions"]
            ],
        }
        for index, step in enumerate(steps)
    ]
    by_code = {item["code"]: item for item in version.conditions}
    flagged = [dict(by_code[code], answer=words[progress["answers"][code]]) for code in evaluation.flagged]
    chest_pain = any(progress["answers"].get(code) == "yes" for code in services.CHEST_PAIN_CODES)
    return {"evaluation": evaluation, "flagged": flagged, "answered_steps": answered_steps, "chest_pain": chest_pain}


def _own_patient_or_none(request) -> Patient | None:
    if not request.user.is_authenticated or request.user.is_clinic_staff:
        return None
    return Patient.objects.filter(user=request.user).first()


def _send_initial(request) -> dict:
    """A signed-in patient's details, so they only need to tick the consent."""
    if not request.user.is_authenticated:
        return {}
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        return {}
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "email": patient.email,
        "phone": patient.phone,
        "date_of_birth": patient.date_of_birth,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def send(request):
    state, response = _complete_answers_or_redirect(request)
    if response:
        return response
    version, steps, progress = state
    form = SendForm(request.POST or None, initial=_send_initial(request))
    if request.method == "POST":
        if not request.user.is_authenticated and services.submission_rate_limited(client=client_ip(request) or "unknown"):
            return render(request, "screening/rate_limited.html", status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                screening = services.screening_submit(
                    answers=progress["answers"],
                    version=version,
                    submission_key=progress["key"],
                    consent=data["consent"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone=data["phone"],
                    date_of_birth=data["date_of_birth"],
                    patient=_own_patient_or_none(request),
                    request=request,
                    notes=progress.get("notes") or {},
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                request.session.pop(SESSION_KEY, None)
                request.session[SENT_KEY] = screening.pk
                return redirect("screening:sent")
    return render(request, "screening/send.html", {"form": form})


@never_cache
def sent(request):
    screening = Screening.objects.select_related("patient").filter(pk=request.session.get(SENT_KEY) or 0).first()
    if screening is None:
        return redirect("screening:start")
    context = {
        "screening": screening,
        "call_back_days": settings.SCREENING_CALL_BACK_DAYS,
        # The referral offered a portal invitation (screening.services._invitation_offer).
        "invitation_coming": screening.patient.invitations.usable().exists() and not screening.patient.user_id,
    }
    return render(request, "screening/sent.html", context)


# --- Staff and signed-in patients --------------------------------------------------


def _detail_context(request, screening, form=None) -> dict:
    user = request.user
    context = {"screening": screening, "is_staff_view": user.is_clinic_staff}
    words = {"yes": _("Yes"), "no": _("No"), "unsure": _("Not sure")}
    context["answers"] = [dict(item, answer_words=words.get(item["answer"], item["answer"])) for item in screening.answers]
    if user.is_clinic_staff:
        context["decisions"] = list(
            Clearance.objects.filter(patient=screening.patient).select_related("clinician").order_by("-decided_at", "-pk")
        )
        context["can_read_notes"] = user.is_clinician or user.has_perm("screening.view_clinicalnote")
        context["can_decide"] = user.is_clinician
        context["intake"] = Intake.objects.filter(patient=screening.patient).first()
        context["intake_changes"] = list(context["intake"].changes.all()) if context["intake"] else []
        context["form"] = form or DecisionForm()
    return context


@never_cache
@login_required
def detail(request, pk: int):
    screening = get_object_or_404(
        Screening.objects.for_user(request.user).select_related("patient", "version", "clearance"), pk=pk
    )
    if request.user.is_clinic_staff:
        audit_record(actor=request.user, action="screening.view", patient=screening.patient, obj=screening, request=request)
    return render(request, "screening/detail.html", _detail_context(request, screening))


@never_cache
@require_POST
@clinician_required
def decide(request, pk: int):
    screening = get_object_or_404(Screening.objects.for_user(request.user).select_related("patient"), pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            clearance = services.screening_decide(
                screening=screening,
                clinician=request.user,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Recorded: %(decision)s for %(name)s.")
                % {"decision": clearance.get_decision_display(), "name": screening.patient.full_name},
            )
            return redirect(reverse("screening:detail", args=[screening.pk]))
    return render(request, "screening/detail.html", _detail_context(request, screening, form), status=200)


@never_cache
@require_POST
@staff_required
def reconcile(request, pk: int):
    """Front desk or a clinician says whether a held referral is the patient on file."""
    screening = get_object_or_404(Screening.objects.for_user(request.user).select_related("patient"), pk=pk)
    same_person = request.POST.get("same_person")
    if same_person not in ("yes", "no"):
        messages.error(request, _("Choose whether the two are the same person."))
        return redirect(reverse("screening:detail", args=[pk]))
    try:
        screening = services.referral_reconcile(
            screening=screening, by=request.user, same_person=same_person == "yes", request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if same_person == "yes":
            messages.success(request, _("The screening is now on %(name)s's record.") % {"name": screening.patient.full_name})
        else:
            messages.success(request, _("The screening keeps a record of its own, without the other patient's email."))
    return redirect(reverse("screening:detail", args=[pk]))


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """The owner of an email confirms a screening sent with it. GET only shows the button, so
    a mail scanner that opens links confirms nothing."""
    if request.method == "GET":
        known = services.held_referrals_for_token(token).exists()
        return render(request, "screening/confirm.html", {"known": known, "token": token}, status=200 if known else 404)
    screening, joined = services.referral_owner_confirm(token=token, request=request)
    return render(
        request, "screening/confirm.html", {"known": screening is not None, "done": True, "joined": joined},
        status=200 if screening is not None else 404,
    )
