import pytest

from tests.education.helpers import GUIDE_URL

pytestmark = pytest.mark.django_db


def test_a_patient_finds_the_guide_on_their_portal(patient_client):
    content = patient_client.get("/me/").content.decode()
    assert "Learn about your treatment" in content
    assert f'href="{GUIDE_URL}"' in content


def test_a_clinician_sees_the_guides_with_their_published_revision(clinician_client, guide, clinician):
    from education.services import guide_publish

    guide_publish(guide=guide, by=clinician)
    content = clinician_client.get("/staff/").content.decode()
    assert "Patient guides" in content
    assert "Revision 3, published"  # 1 and 2 came with the portal (education 0002, 0003) in content
    assert "by Dana Cole" in content
    assert f'href="/admin/education/guide/{guide.pk}/preview/"' in content


def test_front_desk_does_not_get_the_editing_panel(front_desk_client):
    assert "Preview draft" not in front_desk_client.get("/staff/").content.decode()


def test_a_clinician_can_open_the_guide_in_the_admin(clinician_client, guide):
    response = clinician_client.get(f"/admin/education/guide/{guide.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Preview draft" in content
    assert "revision history" in content.lower()
    section = guide.sections.get(anchor="side-effects")
    assert clinician_client.get(f"/admin/education/section/{section.pk}/change/").status_code == 200
    assert clinician_client.get("/admin/education/revision/").status_code == 200
