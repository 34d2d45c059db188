"""The read-only FHIR R4 API: /fhir/metadata, Patient read, and patient-scoped searches of
QuestionnaireResponse, Observation and Appointment. JSON only (application/fhir+json);
every error is an OperationOutcome; every read is audited as the clinician it is for."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from fhir_api import capability, resources, search
from fhir_api.access import Reader, Unauthorized, reader
from fhir_api.search import FhirError
from portal.clock import clinic_tz
from portal.models import Patient
from portal.services import audit_record
from scheduling.models import Session
from symptoms.models import SymptomReview

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}


def fhir_response(resource: dict, status: int = 200, *, cache: str = "no-store") -> HttpResponse:
    response = HttpResponse(json.dumps(resource, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = cache
    return response


def outcome_response(error: FhirError) -> HttpResponse:
    response = fhir_response(resources.operation_outcome(error.code, error.message), error.status)
    if isinstance(error, Unauthorized):
        response["WWW-Authenticate"] = error.challenge
    if error.status == 405:
        response["Allow"] = "GET, HEAD"
    return response


def fhir_endpoint(*, public: bool = False):
    """GET and HEAD only; `_format` JSON only; the reader checked unless `public`; FhirError
    answered as an OperationOutcome. The view gets (request, reader, **kwargs)."""

    def decorator(view: Callable) -> Callable:
        # CSRF is moot (only GET and HEAD are answered) and a CSRF refusal would be an HTML page.
        @csrf_exempt
        @wraps(view)
        def wrapper(request, **kwargs):
            try:
                if request.method not in ("GET", "HEAD"):
                    raise FhirError(405, "not-supported", f"This API is read-only: {request.method} is not allowed.")
                fmt = request.GET.get("_format")
                if fmt is not None and fmt not in JSON_FORMATS:
                    raise FhirError(406, "not-supported", "This server answers in JSON only (_format=json).")
                return view(request, None if public else reader(request), **kwargs)
            except FhirError as error:
                return outcome_response(error)

        return wrapper

    return decorator


@fhir_endpoint(public=True)
def metadata(request, _reader):
    return fhir_response(capability.statement(request), cache="public, max-age=3600")


def _patient(reader_: Reader, pk: int | None, value: str) -> Patient:
    found = Patient.objects.for_user(reader_.user).filter(pk=pk).first() if pk else None
    if found is None:
        raise FhirError(404, "not-found", f"Patient/{value} is not known here.")
    return found


@fhir_endpoint()
def patient_read(request, reader_: Reader, pk: str):
    patient = _patient(reader_, search.database_id(pk, "Patient"), pk)
    audit_record(actor=reader_.user, action="fhir.read", patient=patient, obj=patient, request=request,
                 detail={"resourceType": "Patient", **reader_.via})
    return fhir_response(resources.patient(patient))


@dataclass(frozen=True)
class Search:
    """One searchable resource type: its rows, the date search parameter and its field,
    the field behind _lastUpdated, the order of results and the builder."""

    resource_type: str
    rows: Callable[[], QuerySet]
    date_param: str
    date_field: str
    updated_field: str
    order: tuple[str, ...]
    build: Callable[[object], dict]
    extra: tuple[str, ...] = ()

    @property
    def params(self) -> tuple[str, ...]:
        return (*search.COMMON, self.date_param, *self.extra)


SEARCHES = {
    "QuestionnaireResponse": Search(
        "QuestionnaireResponse", lambda: SymptomReview.objects.all(), "authored", "submitted_at", "submitted_at",
        ("submitted_at", "pk"), resources.questionnaire_response,
    ),
    "Observation": Search(
        "Observation", lambda: SymptomReview.objects.all(), "date", "submitted_at", "submitted_at",
        ("submitted_at", "pk"), resources.observation, extra=("code",),
    ),
    "Appointment": Search(
        "Appointment", lambda: Session.objects.select_related("chair", "course"), "date", "start", "updated_at",
        ("start", "pk"), resources.appointment,
    ),
}


def _code_matches(params) -> bool:
    """Observation's `code`: only the PHQ-9 total is served (comma-separated values: any of them)."""
    values = params.getlist("code")
    if not values:
        return True
    wanted = {f"{resources.LOINC}|{SymptomReview.LOINC_TOTAL}", SymptomReview.LOINC_TOTAL}
    return all(any(code in wanted for code in value.split(",")) for value in values)


def _search(request, reader_: Reader, spec: Search) -> HttpResponse:
    params = request.GET
    ignored = search.unknown_params(params, spec.params, ignore=search.lenient(request))
    page = search.Page.from_params(params)
    tz = clinic_tz()
    rows = spec.rows().filter(
        search.date_filter(params, spec.date_param, spec.date_field, tz)
        & search.date_filter(params, "_lastUpdated", spec.updated_field, tz)
    )
    patient = _patient(reader_, search.patient_id(params), params.get("patient", ""))
    rows = rows.filter(patient=patient).order_by(*spec.order)
    if not _code_matches(params):
        rows = rows.none()
    total = rows.count()
    found = list(rows[page.offset: page.offset + page.count]) if page.count else []
    audit_record(actor=reader_.user, action="fhir.search", patient=patient, obj=patient, request=request,
                 detail={"resourceType": spec.resource_type, "query": params.urlencode()[:500],
                         "returned": len(found), **reader_.via})
    return fhir_response(_bundle(request, spec, found, page, total, ignored))


def _bundle(request, spec: Search, found: list, page: search.Page, total: int, ignored: list[str]) -> dict:
    base = request.build_absolute_uri(request.path)
    root = base.rsplit("/", 1)[0]
    entries = [
        {"fullUrl": f"{root}/{spec.resource_type}/{row.pk}", "resource": spec.build(row), "search": {"mode": "match"}}
        for row in found
    ]
    if ignored:
        note = resources.operation_outcome("not-supported", f"Ignored unsupported parameter(s): {', '.join(ignored)}.",
                                           severity="warning")
        entries.append({"resource": note, "search": {"mode": "outcome"}})
    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": resources.instant(timezone.now())},
        "type": "searchset",
        "total": total,
        "link": search.links(base, request.GET, page, total, ignored),
        "entry": entries,
    }


def search_view(resource_type: str) -> Callable:
    spec = SEARCHES[resource_type]

    @fhir_endpoint()
    def view(request, reader_: Reader):
        return _search(request, reader_, spec)

    view.__name__ = view.__qualname__ = f"{resource_type.lower()}_search"
    return view


@fhir_endpoint(public=True)
def not_served(request, _reader, rest: str = ""):
    raise FhirError(404, "not-supported", f"This server does not serve {rest!r}; see /fhir/metadata for what it does.")
