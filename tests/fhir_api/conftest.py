import pytest
import time_machine

from tests.fhir_api.helpers import NOW, patient_record


@pytest.fixture(autouse=True)
def clock(db):
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(patient):
    """Alice's course of 18 sessions and 4 PHQ-9 responses: (course, sessions, reviews)."""
    return patient_record(patient)
