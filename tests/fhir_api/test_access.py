"""Who may read the FHIR API, the bearer tokens, and the errors every client sees."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fhir_api.models import AccessToken
from portal.models import AuditEvent
from tests.fhir_api.helpers import bearer, body, token_for


def _outcome(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    outcome = body(response)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == code and outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["diagnostics"]
    return outcome


def test_metadata_is_open_to_anyone(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert body(response)["resourceType"] == "CapabilityStatement"


@pytest.mark.parametrize("url", ["/fhir/Patient/{pk}", "/fhir/Observation?patient={pk}",
                                 "/fhir/QuestionnaireResponse?patient={pk}", "/fhir/Appointment?patient={pk}"])
def test_without_credentials_it_answers_401_with_a_bearer_challenge(client, patient, url):
    response = client.get(url.format(pk=patient.pk))
    _outcome(response, 401, "login")
    assert response["WWW-Authenticate"].startswith('Bearer realm="fhir"')
    assert "Archer" not in response.content.decode()


@pytest.mark.parametrize("who", ["front_desk_client", "patient_client"])
def test_front_desk_and_patients_get_403_even_for_their_own_record(request, patient, who):
    client = request.getfixturevalue(who)
    for url in (f"/fhir/Patient/{patient.pk}", f"/fhir/Observation?patient={patient.pk}"):
        response = client.get(url)
        _outcome(response, 403, "forbidden")
        assert "Archer" not in response.content.decode()


def test_a_signed_in_clinician_reads_and_the_read_is_audited(clinician_client, clinician, patient):
    response = clinician_client.get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200
    assert body(response)["name"][0]["family"] == "Archer"
    event = AuditEvent.objects.get(action="fhir.read")
    assert (event.actor, event.patient, event.detail["via"]) == (clinician, patient, "session")


def test_a_token_reads_as_its_clinician_and_every_read_is_audited(clinician, patient, record):
    client = bearer(token_for(clinician))
    assert client.get(f"/fhir/Patient/{patient.pk}").status_code == 200
    assert client.get(f"/fhir/Appointment?patient={patient.pk}").status_code == 200
    events = AuditEvent.objects.filter(action__in=["fhir.read", "fhir.search"]).order_by("pk")
    assert [(e.action, e.actor, e.patient, e.detail["via"]) for e in events] == [
        ("fhir.read", clinician, patient, "token"), ("fhir.search", clinician, patient, "token"),
    ]
    assert events[1].detail["resourceType"] == "Appointment" and events[1].detail["returned"] == 18


def test_only_a_hash_of_the_token_is_stored(clinician):
    raw = token_for(clinician)
    row = AccessToken.objects.get()
    assert raw not in (row.token_hash, row.prefix) and row.token_hash == AccessToken.hash(raw)
    assert raw.startswith(row.prefix)


def test_a_revoked_token_stops_at_once(clinician, patient):
    raw = token_for(clinician)
    call_command("fhir_token_revoke", AccessToken.objects.get().prefix)
    response = bearer(raw).get(f"/fhir/Patient/{patient.pk}")
    _outcome(response, 401, "login")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_token_expires(clinician, patient, clock):
    raw = token_for(clinician, days=2)
    assert bearer(raw).get(f"/fhir/Patient/{patient.pk}").status_code == 200
    clock.shift(dt.timedelta(days=2, seconds=1))
    _outcome(bearer(raw).get(f"/fhir/Patient/{patient.pk}"), 401, "login")


def test_a_token_whose_clinician_left_the_role_is_refused(clinician, patient):
    raw = token_for(clinician)
    clinician.groups.clear()
    _outcome(bearer(raw).get(f"/fhir/Patient/{patient.pk}"), 403, "forbidden")
    clinician.is_active = False
    clinician.save()
    _outcome(bearer(raw).get(f"/fhir/Patient/{patient.pk}"), 403, "forbidden")


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Bearer " + "x" * 300])
def test_a_bad_authorization_header_is_a_401(patient, header, client):
    response = client.get(f"/fhir/Patient/{patient.pk}", HTTP_AUTHORIZATION=header)
    _outcome(response, 401, "login")


def test_the_create_command_prints_the_token_once_and_it_works(clinician, patient, capsys):
    call_command("fhir_token_create", "--email", clinician.email.upper())
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("fhir_") and len(raw) > 40
    assert bearer(raw).get(f"/fhir/Patient/{patient.pk}").status_code == 200
    assert AuditEvent.objects.filter(action="fhir.token_create", actor=clinician).exists()


def test_the_create_command_refuses_anyone_but_an_active_clinician(front_desk, patient):
    for email in (front_desk.email, patient.email, "nobody@example.com"):
        with pytest.raises(CommandError, match="No active clinician"):
            call_command("fhir_token_create", "--email", email)
    assert not AccessToken.objects.exists()


def test_the_revoke_command_takes_every_token_of_a_clinician(clinician, patient):
    first, second = token_for(clinician), token_for(clinician)
    call_command("fhir_token_revoke", "--email", clinician.email)
    for raw in (first, second):
        assert bearer(raw).get(f"/fhir/Patient/{patient.pk}").status_code == 401
    with pytest.raises(CommandError, match="No live token"):
        call_command("fhir_token_revoke", first)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_is_read_only(clinician_client, patient, method):
    response = getattr(clinician_client, method)(f"/fhir/Patient/{patient.pk}", data="{}",
                                                 content_type="application/fhir+json")
    _outcome(response, 405, "not-supported")
    assert response["Allow"] == "GET, HEAD"


def test_head_answers_without_a_body(clinician_client, patient):
    response = clinician_client.head(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(("url", "status", "code"), [
    ("/fhir/Patient/not!an-id", 400, "invalid"),
    ("/fhir/Patient/" + "9" * 70, 400, "invalid"),
    ("/fhir/Patient/abc", 404, "not-found"),
    ("/fhir/Patient/0", 404, "not-found"),
    ("/fhir/Patient/99999999999999999999", 404, "not-found"),
    ("/fhir/Patient/999999", 404, "not-found"),
    ("/fhir/Encounter?patient=1", 404, "not-supported"),
    ("/fhir/Patient/1/_history/1", 404, "not-supported"),
    ("/fhir/Observation", 400, "invalid"),
    ("/fhir/Observation?patient=", 400, "invalid"),
    ("/fhir/Observation?patient=1&patient=2", 400, "invalid"),
    ("/fhir/Observation?patient=x%00y", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&_count=ten", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&_count=-1", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&_offset=99999999", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&date=2026-02-30", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&date=yesterday", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&date=ne2026-01-01", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&date=2026-01-01T25:00:00Z", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&date=9999", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&_lastUpdated=gt2026-01-01T10:00:00+99:00", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&_sort=-date", 400, "invalid"),
    ("/fhir/QuestionnaireResponse?patient={pk}&date=2026", 400, "invalid"),
    ("/fhir/Observation?patient={pk}&_format=xml", 406, "not-supported"),
])
def test_bad_requests_get_an_operation_outcome_never_a_500(clinician_client, patient, url, status, code):
    _outcome(clinician_client.get(url.replace("{pk}", str(patient.pk))), status, code)


def test_another_patients_id_is_a_404_for_the_search_too(clinician_client):
    _outcome(clinician_client.get("/fhir/Appointment?patient=424242"), 404, "not-found")
