import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from screening.models import ChecklistVersion, Condition
from screening.services import checklist_version_current, condition_enabled_set

pytestmark = pytest.mark.django_db


def test_the_current_version_is_reused_while_nothing_changes():
    first = checklist_version_current()
    assert checklist_version_current() == first
    assert ChecklistVersion.objects.count() == 1
    assert len(first.codes) == 26
    assert [s["group"] for s in first.steps()][:2] == ["allergy_substances", "heart_blood"]


def test_switching_off_a_common_practice_condition_makes_a_new_version_and_keeps_the_old_one():
    first = checklist_version_current()
    condition_enabled_set(condition=Condition.objects.get(code="pregnancy_breastfeeding"), enabled=False)
    second = checklist_version_current()
    assert second.number == first.number + 1
    assert "pregnancy_breastfeeding" not in second.codes
    first.refresh_from_db()
    assert "pregnancy_breastfeeding" in first.codes


def test_a_group_with_every_condition_switched_off_is_no_longer_a_step():
    for code in ("pregnancy_breastfeeding", "psychosis_mania_history", "liver_disease", "interacting_medication"):
        condition_enabled_set(condition=Condition.objects.get(code=code), enabled=False)
    assert len(checklist_version_current().steps()) == 5


def test_a_clinic_condition_cannot_be_switched_off():
    with pytest.raises(ValidationError, match="always asked"):
        condition_enabled_set(condition=Condition.objects.get(code="epilepsy"), enabled=False)
    with pytest.raises(IntegrityError):
        Condition.objects.filter(code="epilepsy").update(enabled=False)


def test_the_admin_switch_makes_a_new_version(admin_client):
    first = checklist_version_current()
    condition = Condition.objects.get(code="liver_disease")
    response = admin_client.post(f"/admin/screening/condition/{condition.pk}/change/", {"enabled": ""})
    assert response.status_code == 302
    condition.refresh_from_db()
    assert condition.enabled is False
    assert checklist_version_current().number == first.number + 1


def test_the_admin_does_not_offer_the_switch_for_a_clinic_condition(admin_client):
    condition = Condition.objects.get(code="epilepsy")
    html = admin_client.get(f"/admin/screening/condition/{condition.pk}/change/").content.decode()
    assert 'name="enabled"' not in html


def test_a_patient_midway_keeps_the_answers_to_questions_still_asked(client):
    version = checklist_version_current()
    step1 = [item["code"] for item in version.steps()[0]["conditions"]]
    client.post("/screening/step/1/", {"action": "next", **dict.fromkeys(step1, "no")})
    condition_enabled_set(condition=Condition.objects.get(code="liver_disease"), enabled=False)
    response = client.get("/screening/step/2/")
    assert response.status_code == 200
