"""Security review #3: front desk held change_patient, so the admin let it re-point a patient's
record to a new email and take over the account. Each role holds exactly the permissions its
pages need (listed here), and every admin change to a patient record is audited field by field."""

import pytest
from django.contrib.auth.models import Group

from portal.models import AuditEvent, Patient, Role
from tests.factories import UserFactory

EXPECTED = {
    Role.PATIENT: set(),
    Role.FRONT_DESK: {
        "portal.view_clinicsettings",
        "scheduling.add_course",
        "scheduling.change_session",
        "scheduling.view_chair",
        "scheduling.view_course",
        "scheduling.view_notification",
        "scheduling.view_session",
        "screening.view_screening",
        "screening.view_consent",
        "screening.add_consent",
    },
    Role.CLINICIAN: {
        "education.add_item",
        "education.add_section",
        "education.change_guide",
        "education.change_item",
        "education.change_section",
        "education.delete_item",
        "education.delete_section",
        "education.view_guide",
        "education.view_item",
        "education.view_revision",
        "education.view_section",
        "portal.view_auditevent",
        "portal.view_patient",
        "scheduling.view_course",
        "scheduling.view_notification",
        "scheduling.view_session",
        "screening.add_clearance",
        "screening.view_clearance",
        "screening.view_clinicalnote",
        "screening.view_screening",
        "screening.view_consentversion",
        "screening.add_consentversion",
        "screening.change_consentversion",
        "screening.view_consent",
        "screening.add_consent",
        "symptoms.view_symptomreview",
    },
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_holds_exactly_the_permissions_its_pages_need(db, role):
    group = Group.objects.get(name=role)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert held == EXPECTED[role]


def test_a_permission_taken_out_of_the_list_is_revoked_at_the_next_migrate(db):
    from django.contrib.auth.models import Permission

    from portal.roles import roles_sync

    group = Group.objects.get(name=Role.FRONT_DESK)
    group.permissions.add(Permission.objects.get(content_type__app_label="portal", codename="change_patient"))
    roles_sync()
    assert not group.permissions.filter(codename="change_patient").exists()


def test_front_desk_cannot_open_or_change_a_patient_in_the_admin(front_desk_client, patient):
    url = f"/admin/portal/patient/{patient.pk}/change/"
    assert front_desk_client.get(url).status_code == 403
    response = front_desk_client.post(url, {"first_name": "Mallory", "last_name": "M", "email": "m@evil.example"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.email == "alice@example.com"


def test_an_admin_change_to_a_patient_is_audited_with_old_and_new_values(client, patient):
    admin = UserFactory(email="root@clinic.example", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = f"/admin/portal/patient/{patient.pk}/change/"
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "email": "alice.new@example.com",
        "phone": patient.phone,
        "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else "",
        "user": patient.user_id,
        "preferred_channel": patient.preferred_channel,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="patient.change_admin")
    assert event.actor == admin and event.patient_id == patient.pk
    assert event.detail["fields"] == {"email": {"old": "alice@example.com", "new": "alice.new@example.com"}}
    assert Patient.objects.get(pk=patient.pk).email == "alice.new@example.com"
