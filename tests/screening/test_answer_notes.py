"""A "Yes" or "Not sure" can carry a short note; a "Yes" to chest pain puts the 911 advice first."""

import re

import pytest

from screening.models import Screening
from screening.services import checklist_version_current
from tests.screening.helpers import CONTACT


def walk(client, answers: dict[str, str], notes: dict[str, str]):
    version = checklist_version_current()
    client.post("/screening/", {"action": "start"})
    for number, step in enumerate(version.steps(), start=1):
        data = {"action": "next"}
        for item in step["conditions"]:
            data[item["code"]] = answers.get(item["code"], "no")
            if item["code"] in notes:
                data[f"note-{item['code']}"] = notes[item["code"]]
        response = client.post(f"/screening/step/{number}/", data)
        assert response.status_code == 302, response.content.decode()[:2000]


def step_of(code: str) -> int:
    steps = checklist_version_current().steps()
    return next(n for n, step in enumerate(steps, start=1) if code in [i["code"] for i in step["conditions"]])


def test_a_note_on_yes_or_not_sure_reaches_the_clinic(client, db):
    walk(client, {"valvular_disease": "yes", "epilepsy": "unsure"},
         {"valvular_disease": "I had a stent in 2019", "epilepsy": "One seizure as a child", "asthma_copd": "ignored"})
    result = client.get("/screening/result/").content.decode()
    assert "I had a stent in 2019" in result and "One seizure as a child" in result
    assert client.post("/screening/send/", CONTACT).status_code == 302
    answers = {a["code"]: a for a in Screening.objects.get().answers}
    assert answers["valvular_disease"]["note"] == "I had a stent in 2019"
    assert answers["epilepsy"]["note"] == "One seizure as a child"
    assert "note" not in answers["asthma_copd"]  # a note on "No" is dropped


def test_the_clinician_reads_the_note(client, clinician, db):
    walk(client, {"valvular_disease": "yes"}, {"valvular_disease": "I had a stent in 2019"})
    client.post("/screening/send/", CONTACT)
    client.force_login(clinician)
    page = client.get(f"/screening/{Screening.objects.get().pk}/").content.decode()
    assert "I had a stent in 2019" in page


@pytest.mark.parametrize(("note", "message"), [
    ("x" * 5000, "300 characters or fewer"),
    ("stent\x00 2019", "invisible characters"),
    ("stent\x1b 2019", "invisible characters"),
])
def test_a_bad_note_is_refused_and_the_answers_kept(client, db, note, message):
    code = "valvular_disease"
    number = step_of(code)
    walk(client, {}, {})
    step = checklist_version_current().steps()[number - 1]
    data = {"action": "next", **{i["code"]: "no" for i in step["conditions"]}, code: "yes", f"note-{code}": note}
    response = client.post(f"/screening/step/{number}/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert 'value="yes" checked' in response.content.decode()


@pytest.mark.parametrize("code", ["unstable_angina", "recent_myocardial_infarction"])
def test_a_yes_to_chest_pain_shows_911_first(client, db, code):
    walk(client, {code: "yes"}, {})
    page = client.get("/screening/result/").content.decode()
    main = page[page.index('<main'):]
    words = re.sub(r"<[^>]+>", "", main)  # 911 is a tel: link
    assert "If you have chest pain now, call 911." in words
    assert 'href="tel:911"' in main
    assert main.index("If you have chest pain now") < main.index("<h1")


def test_not_sure_about_chest_pain_does_not_show_the_911_line(client, db):
    walk(client, {"unstable_angina": "unsure"}, {})
    assert "If you have chest pain now" not in client.get("/screening/result/").content.decode()
