"""Screening services: the only place screening rules are decided."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from portal.models import Patient, User
from portal.services import audit_record
from screening.models import Clearance


def clearance_current(*, patient: Patient) -> Clearance | None:
    return Clearance.objects.filter(patient=patient).order_by("-decided_at", "-pk").first()


def patient_is_cleared(*, patient: Patient) -> bool:
    """True when the newest clinician decision on this patient is "cleared"."""
    current = clearance_current(patient=patient)
    return current is not None and current.decision == Clearance.Decision.CLEARED


def clearance_record(
    *,
    patient: Patient,
    clinician: User,
    note: str = "",
    decision: str = Clearance.Decision.CLEARED,
    request=None,
) -> Clearance:
    """A clinician's decision that the patient may (or may not yet) be booked."""
    if clinician is None or not getattr(clinician, "is_clinician", False):
        raise PermissionDenied("Only a clinician can record a clearance.")
    if decision not in Clearance.Decision.values:
        raise ValidationError({"decision": "Choose cleared, not suitable, or needs more information."})
    note = (note or "").strip()
    if decision != Clearance.Decision.CLEARED and not note:
        raise ValidationError({"note": "Add a note that says why, so the front desk and patient know what comes next."})
    with transaction.atomic():
        clearance = Clearance.objects.create(patient=patient, clinician=clinician, decision=decision, note=note)
        audit_record(
            actor=clinician, action=f"clearance.{decision}", patient=patient, obj=clearance, request=request
        )
    return clearance
