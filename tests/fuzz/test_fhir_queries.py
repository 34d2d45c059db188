"""The FHIR API under junk: any id and any search parameters get a FHIR answer (200, or an
OperationOutcome with 400, 404 or 406), never a 500 or an HTML page, and change nothing
but the audit trail."""

import json
from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.helpers import FUZZ, junk_text, rolled_back
from tests.security.world import db_fingerprint, fingerprint_diff

PARAMS = ["patient", "_count", "_offset", "_lastUpdated", "date", "authored", "code", "_format", "_sort", "subject"]
DATES = st.sampled_from(["2026", "2026-12", "2026-12-07", "ge2026-12-07T10:00:00Z", "lt2026-12-07T10:00:00-05:00",
                         "sa2026-12-07T10:00", "eb9999-12-31", "gt0001-01-01", "le2026-02-29", "eq2026-12-07T24:00:00Z"])


def _check(response) -> None:
    assert response.status_code in (200, 400, 404, 406), response.status_code
    assert response["Content-Type"].startswith("application/fhir+json")
    resource = json.loads(response.content)
    assert resource["resourceType"] == ("Bundle" if response.status_code == 200 else "OperationOutcome") or (
        resource["resourceType"] == "Patient")


@FUZZ
@given(
    resource=st.sampled_from(["QuestionnaireResponse", "Observation", "Appointment"]),
    params=st.lists(st.tuples(st.sampled_from(PARAMS), st.one_of(junk_text, DATES)), max_size=5),
    alices=st.booleans(),
)
def test_any_search_gets_a_fhir_answer(world, resource, params, alices):
    client = world.client("clinician")
    if alices:
        params = [("patient", str(world.alice.pk)), *[(k, v) for k, v in params if k != "patient"]]
    with rolled_back():
        before = db_fingerprint()
        _check(client.get(f"/fhir/{resource}?{urlencode(params)}"))
        assert not fingerprint_diff(before, db_fingerprint())


@FUZZ
@given(pk=junk_text)
def test_any_patient_id_gets_a_fhir_answer(world, pk):
    client = world.client("clinician")
    with rolled_back():
        _check(client.get(f"/fhir/Patient/{quote(pk, safe='')}"))
