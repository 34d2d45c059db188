"""The app's copy of the clinic's list must match the shared original and the database."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from screening.models import Condition, ConditionGroup

APP_COPY = Path(settings.BASE_DIR) / "screening" / "data" / "contraindications.json"
SHARED = Path(settings.BASE_DIR).parent / "shared" / "clinical" / "contraindications.json"


def test_the_apps_copy_matches_the_clinics_shared_list():
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not present on this machine")
    assert json.loads(APP_COPY.read_text()) == json.loads(SHARED.read_text())


@pytest.mark.django_db
def test_the_database_holds_every_condition_of_the_list_with_its_wording():
    data = json.loads(APP_COPY.read_text())
    rows = {
        c.code: (c.group.code, c.source, c.term, c.plain)
        for c in Condition.objects.select_related("group")
    }
    expected = {c["code"]: (c["group"], c["source"], c["term"], c["plain"]) for c in data["conditions"]}
    assert rows == expected
    assert list(ConditionGroup.objects.values_list("code", flat=True)) == [g["code"] for g in data["groups"]]


@pytest.mark.django_db
def test_the_clinic_list_has_22_conditions_that_are_always_asked():
    assert Condition.objects.from_clinic().count() == 22
    assert Condition.objects.from_clinic().enabled().count() == 22
