import re

import pytest

from tests.screening.helpers import walk_checklist

pytestmark = pytest.mark.django_db

FORBIDDEN = ("eligible", "approved", "safe")


def test_every_no_shows_clear_and_says_a_clinician_still_reviews(client, all_no):
    walk_checklist(client, all_no)
    html = client.get("/screening/result/").content.decode()
    assert html.count("data-outcome=") == 1
    assert 'data-outcome="clear"' in html
    assert "data-condition=" not in html
    assert "A clinician still reviews every referral" in html


def test_yes_and_not_sure_show_review_with_one_element_per_flagged_condition(client, all_no):
    walk_checklist(client, all_no | {"epilepsy": "yes", "liver_disease": "unsure"})
    html = client.get("/screening/result/").content.decode()
    assert html.count("data-outcome=") == 1
    assert 'data-outcome="review"' in html
    assert re.findall(r'data-condition="([a-z_]+)"', html) == ["epilepsy", "liver_disease"]
    assert "Do you have epilepsy or seizures?" in html
    assert "talk" in html


@pytest.mark.parametrize("flag", [None, "epilepsy"])
def test_the_result_pages_never_say_eligible_approved_or_safe(client, all_no, flag):
    answers = all_no | ({flag: "yes"} if flag else {})
    walk_checklist(client, answers)
    pages = [client.get(url) for url in ("/screening/", "/screening/step/1/", "/screening/result/", "/screening/send/")]
    for response in pages:
        text = response.content.decode().lower()
        for word in FORBIDDEN:
            assert word not in text, (response.request["PATH_INFO"], word)


def test_the_result_lists_every_answer_for_printing(client, all_no):
    walk_checklist(client, all_no)
    html = client.get("/screening/result/").content.decode()
    assert html.count("<table") == 6
    assert "Do you have a cochlear (hearing) implant?" in html
    assert "js/screening.js" in html


@pytest.mark.parametrize("flag", [None, "epilepsy"])
def test_the_confirmation_page_and_email_never_say_eligible_approved_or_safe(
    client, all_no, flag, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.screening.helpers import CONTACT

    walk_checklist(client, all_no | ({flag: "yes"} if flag else {}))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/screening/send/", CONTACT)
    texts = [client.get("/screening/sent/").content.decode(), mail.outbox[0].body, mail.outbox[0].alternatives[0][0]]
    for text in texts:
        for word in FORBIDDEN:
            assert word not in text.lower()
