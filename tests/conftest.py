"""Personas, as healthchecks' BaseTestCase has alice, bob and charlie:

- `patient`: Alice, a patient with an account;
- `other_patient`: Bob, another patient who must never see anything of Alice's;
- `front_desk`: Fran at the front desk;
- `clinician`: Dr. Cole.
"""

import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from portal.models import Role
from tests.factories import PASSWORD, PatientWithAccountFactory, UserFactory

# CI replays a fixed set of generated examples, so a landing never depends on the draw;
# local runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def patient(db):
    return PatientWithAccountFactory(first_name="Alice", last_name="Archer", email="alice@example.com")


@pytest.fixture
def other_patient(db):
    return PatientWithAccountFactory(first_name="Bob", last_name="Baker", email="bob@example.com")


@pytest.fixture
def front_desk(db):
    return UserFactory(email="fran@clinic.example", first_name="Fran", last_name="Front", role=Role.FRONT_DESK)


@pytest.fixture
def clinician(db):
    return UserFactory(email="cole@clinic.example", first_name="Dana", last_name="Cole", role=Role.CLINICIAN)


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def other_patient_client(client, other_patient):
    client.force_login(other_patient.user)
    return client


@pytest.fixture
def front_desk_client(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def clinician_client(client, clinician):
    client.force_login(clinician)
    return client


# Each slow suite is marked by its folder, so `make test-fast` (-m "not e2e and not drill and
# not faults") can leave them out without every module remembering its marker.
FOLDER_MARKERS = {"e2e": "e2e", "faults": "faults", "drill": "drill"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = item.path.relative_to(config.rootpath).parts[1:2]
        if folder and folder[0] in FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, FOLDER_MARKERS[folder[0]]))
