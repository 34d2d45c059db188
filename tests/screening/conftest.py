import pytest

from screening.models import Condition
from screening.services import checklist_version_current


@pytest.fixture
def version(db):
    return checklist_version_current()


@pytest.fixture
def all_no(db):
    return {code: "no" for code in Condition.objects.enabled().values_list("code", flat=True)}
