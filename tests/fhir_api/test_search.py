"""Searches: a searchset Bundle with total and paging; _lastUpdated and date filters; queries
that do not grow with the number of resources."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PatientFactory
from tests.fhir_api.helpers import NOW, bearer, body, mark, patient_record, token_for, validate


def _ids(client, url: str) -> list[str]:
    bundle = body(client.get(url))
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def test_a_search_is_a_searchset_with_total_and_full_urls(clinician_client, patient, record):
    bundle = body(clinician_client.get(f"/fhir/Observation?patient={patient.pk}"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset" and bundle["total"] == 4
    entry = bundle["entry"][0]
    assert entry["fullUrl"] == f"http://testserver/fhir/Observation/{entry['resource']['id']}"
    assert entry["search"] == {"mode": "match"}
    assert [link["relation"] for link in bundle["link"]] == ["self"]


def test_pages_follow_next_links_to_every_result_once(clinician_client, patient, record):
    _course, sessions, _reviews = record
    url, seen, pages = f"/fhir/Appointment?patient={patient.pk}&_count=5", [], 0
    while url:
        bundle = body(clinician_client.get(url))
        validate(bundle)
        assert bundle["total"] == 18 and len(bundle["entry"]) <= 5
        seen += [entry["resource"]["id"] for entry in bundle["entry"]]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = "?".join(urlsplit(following[0])[2:4]) if following else None
        pages += 1
    assert pages == 4
    assert seen == [str(session.pk) for session in sessions]


def test_count_0_gives_the_total_alone_and_a_large_count_is_capped(clinician_client, patient, record):
    bundle = body(clinician_client.get(f"/fhir/Appointment?patient={patient.pk}&_count=0"))
    assert bundle["total"] == 18 and bundle["entry"] == []
    assert len(_ids(clinician_client, f"/fhir/Appointment?patient={patient.pk}&_count=100000")) == 18


def test_patient_may_be_given_as_a_reference(clinician_client, patient, record):
    assert len(_ids(clinician_client, f"/fhir/QuestionnaireResponse?patient=Patient/{patient.pk}")) == 4


def test_a_search_shows_only_that_patients_resources(clinician_client, patient, other_patient, record):
    patient_record(other_patient, sessions=10, reviews=2, chair_name="Chair 2")
    assert len(_ids(clinician_client, f"/fhir/Appointment?patient={other_patient.pk}")) == 10
    assert len(_ids(clinician_client, f"/fhir/Observation?patient={other_patient.pk}")) == 2
    assert len(_ids(clinician_client, f"/fhir/Observation?patient={patient.pk}")) == 4


def test_date_filters_take_prefixes_and_ranges(clinician_client, patient, record):
    _course, sessions, _reviews = record
    base = f"/fhir/Appointment?patient={patient.pk}"
    day = sessions[3].start.date().isoformat()
    assert _ids(clinician_client, f"{base}&date={day}") == [str(sessions[3].pk)]
    upcoming = [str(s.pk) for s in sessions if s.start >= NOW]
    assert _ids(clinician_client, f"{base}&date=ge{NOW.date().isoformat()}") == upcoming
    month = sessions[0].start.strftime("%Y-%m")
    in_month = [str(s.pk) for s in sessions if s.start.strftime("%Y-%m") == month]
    assert _ids(clinician_client, f"{base}&date={month}") == in_month
    window = f"{base}&date=ge{sessions[2].start.date()}&date=lt{sessions[5].start.date()}"
    assert _ids(clinician_client, window) == [str(s.pk) for s in sessions[2:5]]
    instant = sessions[4].start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(clinician_client, f"{base}&date=sa{instant}") == [str(s.pk) for s in sessions[5:]]


def test_last_updated_finds_what_changed_since(clinician, patient, record, clock):
    _course, sessions, reviews = record
    # A token: a signed-in session would be signed out after two idle hours.
    client = bearer(token_for(clinician))
    clock.shift(dt.timedelta(hours=2))
    mark(sessions[7], "cancelled", "Unwell")
    since = (NOW + dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, f"/fhir/Appointment?patient={patient.pk}&_lastUpdated=gt{since}") == [
        str(sessions[7].pk)]
    authored = reviews[2].submitted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z")
    url = f"/fhir/QuestionnaireResponse?patient={patient.pk}&authored=ge{authored[:-5]}Z"
    assert _ids(client, url) == [str(reviews[2].pk), str(reviews[3].pk)]


def test_observation_code_search(clinician_client, patient, record):
    base = f"/fhir/Observation?patient={patient.pk}"
    assert len(_ids(clinician_client, f"{base}&code=http://loinc.org|44261-6")) == 4
    assert len(_ids(clinician_client, f"{base}&code=12345-6,44261-6")) == 4
    assert _ids(clinician_client, f"{base}&code=8867-4") == []


@pytest.mark.parametrize("resource_type", ["Appointment", "Observation", "QuestionnaireResponse"])
def test_queries_do_not_grow_with_the_number_of_resources(clinician, patient, record, resource_type):
    small = PatientFactory()
    patient_record(small, sessions=6, reviews=2, chair_name="Chair 2")
    client = bearer(token_for(clinician))

    def queries(who) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/fhir/{resource_type}?patient={who.pk}").status_code == 200
        return len(captured)

    # token and its user, roles, clinic zone, patient, count, page, audit row
    assert queries(patient) == queries(small) <= 7


def test_unknown_parameters_are_refused_unless_the_client_asks_for_lenient_handling(clinician_client, patient, record):
    url = f"/fhir/Observation?patient={patient.pk}&_sort=-date&_elements=valueInteger"
    assert clinician_client.get(url).status_code == 400
    bundle = body(clinician_client.get(url, HTTP_PREFER="handling=lenient"))
    validate(bundle)
    matches = [e for e in bundle["entry"] if e["search"]["mode"] == "match"]
    (outcome,) = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(matches) == bundle["total"] == 4
    assert outcome["issue"][0]["severity"] == "warning" and "_elements, _sort" in outcome["issue"][0]["diagnostics"]
    (self_link,) = [link["url"] for link in bundle["link"] if link["relation"] == "self"]
    assert "_sort" not in self_link and "_elements" not in self_link and f"patient={patient.pk}" in self_link
