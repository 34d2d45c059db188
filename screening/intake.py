"""The patient's intake: saved one step at a time, sent to the clinic, changed later with history.

Every typed answer is checked here (plain text, no control characters, a length limit, a date of
birth in the past): a refused step changes nothing, and the steps already saved stay saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal.clock import clinic_today
from portal.models import Patient, User
from portal.services import audit_record, phone_normalise, plain_value, text_value
from screening.models import Intake, IntakeChange

# Each step's fields, in order; the pages and the service share this one list.
STEPS: dict[str, tuple[str, ...]] = {
    "reasons": ("reasons", "reason_other", "how_long", "date_of_birth"),
    "treatments": ("antidepressants_tried", "therapy", "ect_or_tms", "ketamine_before"),
    "medicines": ("medicines", "allergies"),
    "people": ("emergency_name", "emergency_phone", "emergency_relationship", "ride_name", "ride_phone"),
    "visits": ("preferred_days", "preferred_times", "access_needs", "language"),
}
MULTILINE = {"medicines", "allergies", "access_needs"}
PHONES = {"emergency_phone", "ride_phone"}
REQUIRED = {
    "reasons": "Choose at least one reason.",
    "emergency_name": "Enter the name of someone we can call in an emergency.",
    "emergency_phone": "Enter their phone number.",
}


def _field_limit(name: str) -> int:
    return Intake._meta.get_field(name).max_length or 0


def _clean_text(name: str, value: Any) -> str:
    value = text_value(value, field=name, multiline=name in MULTILINE).strip()
    limit = _field_limit(name)
    if limit and len(value) > limit:
        raise ValidationError({name: f"Keep this to {limit} characters or fewer."})
    if name in PHONES and value:
        try:
            value = phone_normalise(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.message_dict["phone"]}) from None
    return value


def _clean_value(name: str, value: Any):
    if name == "reasons":
        codes = list(dict.fromkeys(value or []))
        if any(code not in Intake.Reason.values for code in codes):
            raise ValidationError({name: "Choose from the reasons listed."})
        return codes
    if name == "preferred_days":
        days = sorted({int(day) for day in value or [] if str(day).isdigit()})
        if any(day > 6 for day in days) or len(days) != len(value or []):
            raise ValidationError({name: "Choose days from the list."})
        return days
    if name == "date_of_birth":
        if value and (not isinstance(value, dt.date) or value >= clinic_today() or value.year < 1900):
            raise ValidationError({name: "Enter a date of birth in the past."})
        return value or None
    if name == "antidepressants_tried":
        if value is not None and not (isinstance(value, int) and 0 <= value <= 30):
            raise ValidationError({name: "Enter a number from 0 to 30."})
        return value
    if name in ("therapy", "ect_or_tms", "ketamine_before"):
        return bool(value)
    if name in ("how_long", "preferred_times"):
        choices = Intake._meta.get_field(name).choices
        if value and value not in dict(choices):
            raise ValidationError({name: "Choose one of the answers listed."})
        return value or ""
    return _clean_text(name, value)


def intake_for(patient: Patient) -> Intake:
    return Intake.objects.get_or_create(patient=patient)[0]


def intake_read(patient: Patient) -> Intake:
    """The patient's intake to show: an unsaved empty one when they have not started (a page
    view writes nothing)."""
    return Intake.objects.filter(patient=patient).first() or Intake(patient=patient)


def intake_step_save(*, patient: Patient, step: str, data: dict[str, Any], by: User | None = None) -> Intake:
    """Save one step's answers. All of the step is checked first; on any error nothing is saved."""
    if step not in STEPS:
        raise ValidationError("This step does not exist.")
    if by is not None and not (by.is_clinic_staff or patient.user_id == by.pk):
        raise PermissionDenied("Only the patient or the clinic can change this intake.")
    cleaned, errors = {}, {}
    for name in STEPS[step]:
        try:
            cleaned[name] = _clean_value(name, data.get(name))
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
        else:
            if name in REQUIRED and not cleaned[name]:
                errors[name] = REQUIRED[name]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        intake = Intake.objects.select_for_update().get(pk=intake_for(patient).pk)
        changed = {
            name: {"old": plain_value(getattr(intake, name)), "new": plain_value(value)}
            for name, value in cleaned.items() if getattr(intake, name) != value
        }
        for name, value in cleaned.items():
            setattr(intake, name, value)
        if step not in intake.steps_done:
            intake.steps_done = [s for s in STEPS if s in {*intake.steps_done, step}]
        intake.save()
        if intake.submitted_at and changed:
            IntakeChange.objects.create(intake=intake, by=by, fields=changed)
            audit_record(actor=by, action="intake.change", patient=patient, obj=intake, detail={"step": step})
    return intake


def intake_steps_missing(intake: Intake) -> list[str]:
    """The steps not saved yet, in order: the intake can be sent when there are none."""
    return [step for step in STEPS if step not in intake.steps_done]


def intake_submit(*, patient: Patient, by: User | None = None) -> Intake:
    """Send the intake to the clinic: every step must have been saved."""
    with transaction.atomic():
        intake = Intake.objects.select_for_update().get(pk=intake_for(patient).pk)
        if intake_steps_missing(intake):
            raise ValidationError("Please finish every step first.", code="steps_missing")
        if intake.submitted_at is None:
            intake.submitted_at = timezone.now()
            intake.save(update_fields=["submitted_at", "updated_at"])
            audit_record(actor=by, action="intake.submit", patient=patient, obj=intake)
    return intake

