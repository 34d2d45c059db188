import re

import pytest

from screening.models import Screening
from screening.services import checklist_version_current
from tests.screening.helpers import walk_checklist

pytestmark = pytest.mark.django_db


def _step_codes(number):
    return [item["code"] for item in checklist_version_current().steps()[number - 1]["conditions"]]


def test_the_introduction_says_what_this_is_and_has_a_start_button(client):
    response = client.get("/screening/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "not a diagnosis" in html
    assert "about 5 minutes" in html
    assert '<button type="submit"' in html
    assert html.count("<h1") == 1


def test_starting_leads_to_step_1_of_6_with_every_question_of_the_first_group(client):
    response = client.post("/screening/", {"action": "start"}, follow=True)
    html = response.content.decode()
    assert "Step 1 of 6" in html
    for code in _step_codes(1):
        assert f'data-question="{code}"' in html
    assert "Allergies, alcohol and drugs" in html


def test_every_question_is_a_fieldset_with_a_legend_and_yes_no_not_sure_labels(client):
    html = client.get("/screening/step/2/" if False else "/screening/step/1/").content.decode()
    fieldsets = re.findall(r'<fieldset data-question="([a-z_]+)".*?</fieldset>', html, re.S)
    assert fieldsets == _step_codes(1)
    block = re.search(r'<fieldset data-question="ketamine_allergy".*?</fieldset>', html, re.S).group(0)
    assert "<legend>Have you ever had an allergic reaction to ketamine?</legend>" in block
    labels = re.findall(r"<label[^>]*>([^<]*)</label>", block)
    assert labels == ["Yes", "No", "Not sure"]
    assert re.findall(r'type="radio"[^>]*value="([a-z]+)"', block) == ["yes", "no", "unsure"]
    assert "Medical term: Allergy to ketamine" in block


def test_it_will_not_move_on_until_every_question_is_answered_and_keeps_the_given_answers(client):
    codes = _step_codes(1)
    response = client.post("/screening/step/1/", {"action": "next", codes[0]: "yes"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Step 1 of 6" in html
    assert "Please answer every question" in html
    assert "No answer yet: Do you use street or recreational drugs?" in html
    assert re.search(rf'name="{codes[0]}"[^>]*value="yes" checked', html)


def test_back_keeps_the_answers_and_a_reload_shows_them_again(client):
    codes = _step_codes(1)
    client.post("/screening/step/1/", {"action": "next", **dict.fromkeys(codes, "no")})
    step2 = _step_codes(2)
    response = client.post("/screening/step/2/", {"action": "back", step2[0]: "unsure"})
    assert response.url == "/screening/step/1/"
    html = client.get("/screening/step/1/").content.decode()
    for code in codes:
        assert re.search(rf'name="{code}"[^>]*value="no" checked', html)
    html = client.get("/screening/step/2/").content.decode()
    assert re.search(rf'name="{step2[0]}"[^>]*value="unsure" checked', html)


def test_skipping_ahead_to_a_later_step_sends_the_patient_back_to_the_first_unanswered_one(client):
    response = client.post("/screening/step/4/", {"action": "next"}, follow=True)
    assert response.redirect_chain[-1][0] == "/screening/step/1/"
    assert "Please answer the questions on step 1 first." in response.content.decode()


def test_an_unknown_question_code_in_the_post_gets_the_form_back_with_a_message(client):
    codes = _step_codes(1)
    response = client.post("/screening/step/1/", {"action": "next", **dict.fromkeys(codes, "no"), "made_up": "yes"})
    assert response.status_code == 200
    assert "not on this step" in response.content.decode()


def test_a_value_other_than_yes_no_or_not_sure_gets_the_form_back_with_a_message(client):
    codes = _step_codes(1)
    response = client.post("/screening/step/1/", {"action": "next", **dict.fromkeys(codes, "no"), codes[1]: "maybe"})
    assert response.status_code == 200
    assert "Choose Yes, No or Not sure" in response.content.decode()


def test_a_step_number_that_does_not_exist_is_404(client):
    assert client.get("/screening/step/7/").status_code == 404
    assert client.get("/screening/step/0/").status_code == 404


def test_the_result_before_every_question_is_answered_goes_back_to_the_missing_step(client):
    response = client.get("/screening/result/", follow=True)
    assert response.redirect_chain[-1][0] == "/screening/step/1/"


def test_start_again_clears_the_answers(client, all_no):
    walk_checklist(client, all_no)
    client.post("/screening/", {"action": "restart"})
    assert client.get("/screening/result/").url == "/screening/step/1/"


def test_nothing_is_stored_while_answering(client, all_no):
    walk_checklist(client, all_no)
    client.get("/screening/result/")
    assert Screening.objects.count() == 0
