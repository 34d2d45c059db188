"""Portal rows as FHIR R4 (4.0.1) resources, as plain dicts ready for JSON.

Codes: the PHQ-9 is LOINC panel 44249-1 (each item keeps its LOINC code, see
symptoms/phq9.py), answers are the LOINC answer list LL358-3, the total is LOINC
44261-6. The severity band has no LOINC code, so it is coded in the portal's own
code system, with its words as text."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from scheduling.models import Session, SessionStatus
from symptoms import phq9
from symptoms.models import SymptomReview

FHIR_VERSION = "4.0.1"
LOINC = "http://loinc.org"
PHQ9_QUESTIONNAIRE = "http://loinc.org/q/44249-1"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
TOTAL_DISPLAY = "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"
ITEM9_DISPLAY = "Thoughts that you would be better off dead, or of hurting yourself in some way"

# Portal session states -> R4 AppointmentStatus.
APPOINTMENT_STATUS = {
    SessionStatus.BOOKED: "booked",
    SessionStatus.COMPLETED: "fulfilled",
    SessionStatus.NO_SHOW: "noshow",
    # The patient came and the visit took place, though they left before staff discharged them.
    SessionStatus.LEFT_EARLY: "fulfilled",
    SessionStatus.CANCELLED: "cancelled",
}


def system_uri(name: str) -> str:
    """A naming system or code system of this portal, e.g. its patient ids."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/sid/{name}"


def instant(value: dt.datetime) -> str:
    """An aware datetime as a FHIR instant in UTC, to the second."""
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def reference(resource_type: str, pk) -> dict:
    return {"reference": f"{resource_type}/{pk}"}


def patient(row) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": str(row.pk),
        "identifier": [{"use": "usual", "system": system_uri("patient"), "value": str(row.pk)}],
        "active": True,
        "name": [{"use": "official", "family": row.last_name, "given": [row.first_name], "text": row.full_name}],
    }
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone, "use": "mobile"})
    if row.email:
        telecom.append({"system": "email", "value": row.email, "use": "home"})
    if telecom:
        resource["telecom"] = telecom
    if row.date_of_birth:
        resource["birthDate"] = row.date_of_birth.isoformat()
    return resource


def _answer_coding(score: int) -> dict:
    return {"system": LOINC, "code": phq9.ANSWER_LOINC[score], "display": str(dict(phq9.CHOICES)[score])}


def questionnaire_response(review: SymptomReview) -> dict:
    """The nine PHQ-9 answers: linkId is each item's LOINC code, the answer its LOINC answer code."""
    items = [
        {"linkId": item["loinc"], "text": str(text), "answer": [{"valueCoding": _answer_coding(item["score"])}]}
        for item, (_code, text) in zip(review.items, phq9.ITEMS, strict=True)
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(review.pk),
        "meta": {"lastUpdated": instant(review.submitted_at)},
        "questionnaire": PHQ9_QUESTIONNAIRE,
        "status": "completed",
        "subject": reference("Patient", review.patient_id),
        "authored": instant(review.submitted_at),
        "author": reference("Patient", review.patient_id),
        "source": reference("Patient", review.patient_id),
        "item": items,
    }


def _band(review: SymptomReview) -> dict:
    return {
        "coding": [{"system": system_uri("phq9-severity"), "code": review.band.replace(" ", "-"),
                    "display": f"{review.band.capitalize()} depression"}],
        "text": f"{review.band.capitalize()} ({review.total} of 27)",
    }


ITEM9_FLAG = {
    "coding": [{"system": INTERPRETATION, "code": "AA", "display": "Critical abnormal"}],
    "text": "PHQ-9 item 9 (thoughts of death or self-harm) above 0: safety alert for the clinicians",
}


def observation(review: SymptomReview) -> dict:
    """The PHQ-9 total (LOINC 44261-6) with its band; item 9 above 0 is flagged critical."""
    item9 = review.scores[8]
    component = {
        "code": {"coding": [{"system": LOINC, "code": "44260-8", "display": ITEM9_DISPLAY}]},
        "valueInteger": item9,
    }
    interpretation = [_band(review)]
    if item9 > 0:
        component["interpretation"] = [ITEM9_FLAG]
        interpretation.append(ITEM9_FLAG)
    return {
        "resourceType": "Observation",
        "id": str(review.pk),
        "meta": {"lastUpdated": instant(review.submitted_at)},
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": [{"system": LOINC, "code": SymptomReview.LOINC_TOTAL, "display": TOTAL_DISPLAY}],
                 "text": "PHQ-9 total score"},
        "subject": reference("Patient", review.patient_id),
        "effectiveDateTime": instant(review.submitted_at),
        "issued": instant(review.submitted_at),
        "valueInteger": review.total,
        "interpretation": interpretation,
        "derivedFrom": [reference("QuestionnaireResponse", review.pk)],
        "component": [component],
    }


def appointment(session: Session) -> dict:
    """One session: the whole visit (infusion and recovery), the chair as a contained Location."""
    chair_id = f"chair-{session.chair_id}"
    resource = {
        "resourceType": "Appointment",
        "id": str(session.pk),
        "meta": {"lastUpdated": instant(session.updated_at)},
        "contained": [{
            "resourceType": "Location", "id": chair_id, "name": session.chair.name,
            "status": "active" if session.chair.active else "inactive", "mode": "instance",
        }],
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{session.uid}"}],
        "status": APPOINTMENT_STATUS.get(session.status, "booked"),
        "start": instant(session.start),
        "end": instant(session.occupied_until),
        "minutesDuration": int((session.occupied_until - session.start).total_seconds() // 60),
        "created": instant(session.course.created_at),
        "participant": [
            {"actor": reference("Patient", session.patient_id), "required": "required", "status": "accepted"},
            {"actor": {"reference": f"#{chair_id}", "display": session.chair.name}, "required": "required",
             "status": "accepted"},
        ],
    }
    if session.status == SessionStatus.CANCELLED and session.status_reason:
        resource["cancelationReason"] = {"text": session.status_reason}
    return resource


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}
