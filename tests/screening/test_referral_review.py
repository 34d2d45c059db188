import pytest

from portal.models import AuditEvent, Patient
from screening.models import Clearance, Screening
from screening.services import screening_decide, screening_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(patient, all_no, version):
    """Alice's screening, flagged for epilepsy."""
    return screening_submit(answers=all_no | {"epilepsy": "yes"}, version=version, submission_key="alice-1",
                            consent=True, first_name="Alice", last_name="Archer", email=patient.email, patient=patient)


@pytest.fixture
def clear_referral(all_no, version):
    return screening_submit(answers=all_no, version=version, submission_key="dan-1", consent=True,
                            first_name="Dan", last_name="Dale", email="dan@example.com")


def test_the_staff_dashboard_lists_new_referrals_flagged_first(front_desk_client, clear_referral, referral):
    html = front_desk_client.get("/staff/").content.decode()
    assert "New referrals" in html
    assert html.index("Alice Archer") < html.index("Dan Dale")
    assert 'data-condition="epilepsy"' in html
    assert "Flagged for review" in html


def test_the_staff_panel_costs_a_fixed_number_of_queries(
    rf, front_desk, version, all_no, django_assert_max_num_queries
):
    from screening.panels import staff_panels

    for n in range(8):
        screening_submit(answers=all_no | {"epilepsy": "yes"}, version=version, submission_key=f"k{n}", consent=True,
                         first_name="P", last_name=str(n), email=f"p{n}@example.com")
    request = rf.get("/staff/")
    request.user = front_desk
    with django_assert_max_num_queries(4):
        html = "".join(staff_panels(request))
    assert html.count('data-condition="epilepsy"') == 8


def test_the_me_panel_costs_a_fixed_number_of_queries(rf, patient, version, all_no, django_assert_max_num_queries):
    from screening.panels import me_panels

    for n in range(5):
        screening_submit(answers=all_no, version=version, submission_key=f"m{n}", consent=True,
                         first_name="Alice", last_name="Archer", email=patient.email, patient=patient)
    request = rf.get("/me/")
    request.user = patient.user
    from portal.models import ClinicSettings

    ClinicSettings.load()  # a running clinic has its settings row
    # The self-screenings (3) and where the patient stands with the consent form (4), whatever
    # the number of screenings or signatures.
    with django_assert_max_num_queries(7):
        html, consent_html = me_panels(request, patient=patient)
    assert html.count("Self-screening of") == 5
    assert "Sign the consent form before your first infusion." in consent_html


def test_a_clinician_opening_a_screening_is_audited(clinician_client, clinician, referral):
    response = clinician_client.get(f"/screening/{referral.pk}/")
    assert response.status_code == 200
    assert "Do you have epilepsy or seizures?" in response.content.decode()
    assert AuditEvent.objects.filter(actor=clinician, action="screening.view", patient=referral.patient).count() == 1


def test_a_clinician_clears_the_referral_and_the_patient_can_be_booked(clinician_client, referral):
    response = clinician_client.post(f"/screening/{referral.pk}/decide/", {"decision": "cleared", "note": ""})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "cleared"
    assert Patient.objects.cleared().filter(pk=referral.patient.pk).exists()


def test_not_suitable_needs_a_note(clinician_client, referral):
    response = clinician_client.post(f"/screening/{referral.pk}/decide/", {"decision": "not_suitable", "note": ""})
    assert response.status_code == 200
    assert "Add a note" in response.content.decode()
    assert Clearance.objects.count() == 0


def test_front_desk_sees_the_status_but_not_the_clinicians_note(front_desk_client, clinician, referral):
    screening_decide(screening=referral, clinician=clinician, decision="more_info", note="Ask about seizure meds.")
    html = front_desk_client.get(f"/screening/{referral.pk}/").content.decode()
    assert "Needs more information" in html
    assert "Ask about seizure meds." not in html


def test_the_clinician_sees_the_note(clinician_client, clinician, referral):
    screening_decide(screening=referral, clinician=clinician, decision="more_info", note="Ask about seizure meds.")
    assert "Ask about seizure meds." in clinician_client.get(f"/screening/{referral.pk}/").content.decode()


def test_front_desk_cannot_record_a_decision(front_desk_client, referral):
    response = front_desk_client.post(f"/screening/{referral.pk}/decide/", {"decision": "cleared"})
    assert response.status_code == 403
    assert Clearance.objects.count() == 0


def test_a_decision_needs_a_post(clinician_client, referral):
    assert clinician_client.get(f"/screening/{referral.pk}/decide/").status_code == 405


def test_the_patient_sees_their_own_screening_with_the_wording_they_answered(patient_client, referral):
    html = patient_client.get("/me/").content.decode()
    assert "My self-screenings" in html
    detail = patient_client.get(f"/screening/{referral.pk}/").content.decode()
    assert "Do you have epilepsy or seizures?" in detail
    assert "Record your decision" not in detail


def test_another_patient_gets_404_for_a_screening_that_is_not_theirs(other_patient_client, referral):
    assert other_patient_client.get(f"/screening/{referral.pk}/").status_code == 404
    assert other_patient_client.post(f"/screening/{referral.pk}/decide/", {"decision": "cleared"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, referral):
    response = client.get(f"/screening/{referral.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_old_screenings_keep_their_wording_after_the_checklist_changes(patient_client, referral):
    from screening.models import Condition
    from screening.services import checklist_version_current, condition_enabled_set

    condition_enabled_set(condition=Condition.objects.get(code="liver_disease"), enabled=False)
    assert checklist_version_current().number == referral.version.number + 1
    referral = Screening.objects.get(pk=referral.pk)
    assert "Do you have liver disease?" in patient_client.get(f"/screening/{referral.pk}/").content.decode()
