"""The CapabilityStatement at /fhir/metadata: exactly what this server answers."""

from __future__ import annotations

from django.conf import settings

from fhir_api import resources

COMMON_PARAMS = [
    {"name": "patient", "type": "reference", "documentation": "Required: the patient's id (or Patient/<id>)."},
    {"name": "_lastUpdated", "type": "date",
     "documentation": "When the resource last changed; prefixes eq, gt, lt, ge, le, sa, eb; repeatable."},
]
DATE_DOC = "Prefixes eq, gt, lt, ge, le, sa, eb; repeatable (all must hold). Results are paged with _count."


def _searchable(resource_type: str, profile: str, date_param: str, date_doc: str, extra=()) -> dict:
    return {
        "type": resource_type,
        "profile": profile,
        "interaction": [{"code": "search-type"}],
        "searchParam": [
            *COMMON_PARAMS,
            {"name": date_param, "type": "date", "documentation": f"{date_doc} {DATE_DOC}"},
            *extra,
        ],
    }


def statement(request) -> dict:
    base = request.build_absolute_uri("/fhir")
    core = "http://hl7.org/fhir/StructureDefinition/"
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-02",
        "publisher": settings.CLINIC_NAME,
        "kind": "instance",
        "software": {"name": "Clinic patient portal FHIR API"},
        "implementation": {"description": "Read-only FHIR R4 API of the clinic's patient portal", "url": base},
        "fhirVersion": resources.FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only: GET and HEAD only; other methods are answered 405. A search with a "
                             "parameter not listed here is refused (400) unless the request says "
                             "Prefer: handling=lenient.",
            "security": {
                "cors": False,
                "description": "A signed-in clinician's session, or Authorization: Bearer <token> with a token "
                               "from `manage.py fhir_token_create --email <clinician email>`. Every read is "
                               "audited as that clinician. Without credentials: 401; other roles: 403.",
            },
            "resource": [
                {"type": "Patient", "profile": core + "Patient", "interaction": [{"code": "read"}]},
                _searchable("QuestionnaireResponse", core + "QuestionnaireResponse", "authored",
                            "When the PHQ-9 was answered."),
                _searchable("Observation", core + "Observation", "date", "When the PHQ-9 was answered.", extra=[
                    {"name": "code", "type": "token", "documentation": "Only http://loinc.org|44261-6 is served."},
                ]),
                _searchable("Appointment", core + "Appointment", "date", "When the session starts."),
            ],
        }],
    }
