"""Helpers and constants shared by the screening tests (the fixtures are in conftest.py)."""

from screening.services import checklist_version_current


def walk_checklist(client, answers: dict[str, str]):
    """Answer every step through the real pages, as a browser without JavaScript would."""
    version = checklist_version_current()
    client.post("/screening/", {"action": "start"})
    response = None
    for number, step in enumerate(version.steps(), start=1):
        data = {"action": "next"}
        data.update({item["code"]: answers[item["code"]] for item in step["conditions"] if item["code"] in answers})
        response = client.post(f"/screening/step/{number}/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return response


CONTACT = {
    "first_name": "Carol",
    "last_name": "Cruz",
    "email": "carol@example.com",
    "phone": "",
    "date_of_birth": "1980-03-21",
    "consent": "on",
}
