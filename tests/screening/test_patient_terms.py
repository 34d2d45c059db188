"""Patients see the checklist's medical terms in US spelling and without a clinician's note
(issue 16); clinicians reading a screening still see the clinic's own wording."""

import pytest

from screening.models import patient_term
from screening.services import checklist_version_current
from tests.screening.helpers import walk_checklist


@pytest.mark.parametrize(("term", "shown"), [
    ("Epilepsy (risk of inducing status epilepticus)", "Epilepsy"),
    ("Recent brain injury, infection, stroke or haemorrhage", "Recent brain injury, infection, stroke or hemorrhage"),
    ("Intracranial lesions including infarction, haemorrhage, aneurysms, trauma, tumours like angioma",
     "Intracranial lesions including infarction, hemorrhage, aneurysms, trauma, tumors like angioma"),
    ("Recent myocardial infarction (within the last 3 months)", "Recent myocardial infarction (within the last 3 months)"),
])
def test_patient_term(term, shown):
    assert patient_term(term) == shown


def test_the_step_and_result_pages_show_the_patients_term(client, all_no):
    walk_checklist(client, all_no | {"epilepsy": "yes"})
    result = client.get("/screening/result/").content.decode()
    assert "status epilepticus" not in result and "Epilepsy" in result
    steps = len(checklist_version_current().steps())
    pages = "".join(client.get(f"/screening/step/{n}/").content.decode() for n in range(1, steps + 1))
    assert "Medical term: Epilepsy</p>" in pages and "hemorrhage" in pages
    assert "status epilepticus" not in pages and "haemorrhage" not in pages


def test_words_a_patient_cannot_judge_are_explained_under_the_question(client, all_no, settings):
    from portal.models import ClinicSettings

    ClinicSettings.objects.update_or_create(pk=1, defaults={"recent_months": 3})
    walk_checklist(client, all_no)
    steps = len(checklist_version_current().steps())
    pages = "".join(client.get(f"/screening/step/{n}/").content.decode() for n in range(1, steps + 1))
    assert "very high blood pressure, or blood pressure that is hard to control with medicine" in pages
    assert "Heart block is a problem with the electrical signals" in pages
    assert "Delirious means suddenly very confused" in pages
    assert "Recently means in the last 3 months." in pages
    assert 'aria-describedby="hint-severe_hypertension"' in pages
    # The question itself stays the clinic's own wording.
    assert "Do you have severe high blood pressure?" in pages
