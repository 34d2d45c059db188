"""/staff/patients/?q=: the staff find a patient by name, email, phone or date of birth."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.models import AuditEvent, Patient
from portal.search import MAX_RESULTS, date_read, patient_search
from tests.factories import CLINIC_ZONE, PatientFactory, SessionFactory

URL = "/staff/patients/"


@pytest.fixture
def maria(db):
    return PatientFactory(
        first_name="María José", last_name="García-Núñez", email="mjgarcia@example.com",
        phone="+1 555 010 4477", date_of_birth=dt.date(1984, 3, 7),
    )


@pytest.fixture
def other_maria(db):
    return PatientFactory(
        first_name="Maria", last_name="Garcia", email="maria.g@example.org", phone="(555) 010-9999",
        date_of_birth=dt.date(1990, 11, 2),
    )


def found(query):
    return {p.pk for p in patient_search(query=query).patients}


@pytest.mark.parametrize("query", ["garcia", "GARCÍA", "maria jose", "José", "nunez", "garcia-nunez", "jose garcia"])
def test_it_finds_any_part_of_the_name_whatever_the_accents_and_case(maria, query):
    assert maria.pk in found(query)


def test_a_two_word_name_must_match_both_words(maria, other_maria):
    assert found("maria nunez") == {maria.pk}
    assert found("maria garcia") == {maria.pk, other_maria.pk}


@pytest.mark.parametrize("query", ["mjgarcia@example.com", "MJGARCIA@", "example.com"])
def test_it_finds_by_email(maria, query):
    assert maria.pk in found(query)


@pytest.mark.parametrize("query", ["010 4477", "0104477", "(555) 010-4477", "555.010.4477", "+15550104477"])
def test_it_finds_a_phone_number_by_its_digits(maria, other_maria, query):
    assert found(query) == {maria.pk}


@pytest.mark.parametrize("query", ["1984-03-07", "03/07/1984", "3/7/1984", "March 7 1984", "March 7, 1984",
                                   "Mar 7 1984", "7 March 1984", "March 7th, 1984"])
def test_it_finds_a_date_of_birth_as_people_type_it(maria, other_maria, query):
    assert found(query) == {maria.pk}


def test_an_impossible_date_is_no_date():
    assert date_read("02/30/1984") is None
    assert date_read("1984") is None


def test_a_name_change_is_found_at_once(maria):
    maria.last_name = "Ørsted"
    maria.save(update_fields=["last_name"])
    assert found("orsted") == {maria.pk}
    assert Patient.objects.get(pk=maria.pk).search_name == "maria jose orsted"


def test_results_are_capped(db):
    PatientFactory.create_batch(MAX_RESULTS + 3, last_name="Smith")
    result = patient_search(query="smith")
    assert len(result.patients) == MAX_RESULTS and result.capped


@pytest.mark.parametrize("junk", ["%", "_", "'", '"', "' OR 1=1 --", "\\", "a\x00b", "x" * 5000, "%%__", "\u202e"])
def test_junk_answers_a_page_never_an_error(front_desk_client, maria, junk):
    response = front_desk_client.get(URL, {"q": junk})
    assert response.status_code == 200
    assert maria.last_name not in response.content.decode()


def test_wildcards_are_taken_literally(maria):
    assert found("%") == set() and found("_") == set()


def test_an_over_long_search_says_why(front_desk_client):
    response = front_desk_client.get(URL, {"q": "x" * 5000})
    assert "at most 100 characters" in response.content.decode()


def test_the_result_tells_two_marias_apart_and_links_to_the_record(front_desk_client, maria, other_maria):
    session = SessionFactory(patient=maria)
    response = front_desk_client.get(URL, {"q": "maria"})
    page = response.content.decode()
    assert f'href="/staff/patients/{maria.pk}/"' in page and f'href="/staff/patients/{other_maria.pk}/"' in page
    assert "1984-03-07" in page and "mjgarcia@example.com" in page and "1990-11-02" in page
    assert session.start.astimezone(CLINIC_ZONE).strftime("%Y-%m-%d %H:%M") in page
    assert "none booked" in page


def test_each_patient_shown_is_audited_with_the_search(front_desk_client, front_desk, maria, other_maria):
    front_desk_client.get(URL, {"q": "garcia"})
    events = AuditEvent.objects.filter(action="patient.search")
    assert {e.patient_id for e in events} == {maria.pk, other_maria.pk}
    assert all(e.actor_id == front_desk.pk and e.detail["query"] == "garcia" for e in events)


def test_a_search_with_no_match_is_audited_too(clinician_client, clinician):
    clinician_client.get(URL, {"q": "nobody-by-this-name"})
    event = AuditEvent.objects.get(action="patient.search")
    assert event.patient is None and event.actor == clinician


def test_an_empty_search_shows_the_form_and_audits_nothing(front_desk_client, maria):
    response = front_desk_client.get(URL)
    assert response.status_code == 200 and maria.last_name not in response.content.decode()
    assert not AuditEvent.objects.filter(action="patient.search").exists()


@pytest.mark.parametrize("who", ["patient_client", "other_patient_client"])
def test_patients_cannot_search(request, maria, who):
    client = request.getfixturevalue(who)
    assert client.get(URL, {"q": "garcia"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, maria):
    response = client.get(URL, {"q": "garcia"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_search_takes_a_few_queries_whatever_the_number_of_hits(front_desk_client, django_assert_max_num_queries):
    first = timezone.now() + dt.timedelta(days=3)
    for n in range(20):
        SessionFactory(patient=PatientFactory(last_name="Jones"), start=first + dt.timedelta(days=n))
    with django_assert_max_num_queries(12):
        response = front_desk_client.get(URL, {"q": "jones"})
    assert response.content.decode().count('data-patient="') == 20
