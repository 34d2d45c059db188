import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.models import Condition
from screening.services import checklist_evaluate

pytestmark = pytest.mark.django_db

CODES = [
    "ketamine_allergy", "alcohol_intoxication", "illicit_drug_use", "narcotic_intolerance",
    "recent_myocardial_infarction", "severe_hypertension", "unstable_angina", "heart_failure", "valvular_disease",
    "bradycardia_heart_block", "thromboembolic_disease", "raised_intracranial_pressure", "intracranial_lesion",
    "organic_brain_lesion", "recent_brain_injury", "epilepsy", "post_ect_delirium", "decreased_lung_function",
    "asthma_copd", "retinal_detachment_glaucoma", "metallic_brain_implant_or_pacemaker", "cochlear_implant",
    "pregnancy_breastfeeding", "psychosis_mania_history", "liver_disease", "interacting_medication",
]
COMMON_PRACTICE = ["pregnancy_breastfeeding", "psychosis_mania_history", "liver_disease", "interacting_medication"]

answers_strategy = st.dictionaries(st.sampled_from(CODES), st.sampled_from(["yes", "no", "unsure"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=answers_strategy, switched_off=st.sets(st.sampled_from(COMMON_PRACTICE)))
def test_it_is_clear_if_and_only_if_every_enabled_condition_is_no(answers, switched_off):
    Condition.objects.filter(code__in=switched_off).update(enabled=False)
    Condition.objects.exclude(code__in=switched_off).update(enabled=True)
    enabled = [code for code in CODES if code not in switched_off]

    evaluation = checklist_evaluate(answers=answers)

    every_enabled_no = all(answers.get(code) == "no" for code in enabled)
    assert (evaluation.outcome == "clear") == every_enabled_no
    assert set(evaluation.flagged) == {c for c in enabled if answers.get(c) in ("yes", "unsure")}
    assert set(evaluation.unanswered) == {c for c in enabled if c not in answers}
    assert not set(evaluation.flagged) & switched_off


def test_every_no_is_clear():
    evaluation = checklist_evaluate(answers=dict.fromkeys(CODES, "no"))
    assert evaluation.outcome == "clear"
    assert evaluation.flagged == ()
    assert evaluation.unanswered == ()


def test_one_not_sure_sends_the_patient_to_review():
    answers = dict.fromkeys(CODES, "no") | {"epilepsy": "unsure"}
    evaluation = checklist_evaluate(answers=answers)
    assert evaluation.outcome == "review"
    assert evaluation.flagged == ("epilepsy",)


def test_a_missing_answer_means_review_and_is_listed():
    answers = dict.fromkeys(CODES, "no")
    del answers["cochlear_implant"]
    evaluation = checklist_evaluate(answers=answers)
    assert evaluation.outcome == "review"
    assert evaluation.unanswered == ("cochlear_implant",)


def test_an_empty_checklist_is_review_with_every_enabled_code_unanswered():
    evaluation = checklist_evaluate(answers={})
    assert evaluation.outcome == "review"
    assert list(evaluation.unanswered) == CODES


def test_it_refuses_an_unknown_code():
    with pytest.raises(ValidationError, match="not on the checklist"):
        checklist_evaluate(answers=dict.fromkeys(CODES, "no") | {"made_up": "no"})


@pytest.mark.parametrize("value", ["maybe", "", "YES", None, 1, "true"])
def test_it_refuses_an_answer_other_than_yes_no_or_not_sure(value):
    with pytest.raises(ValidationError, match="Yes, No or Not sure"):
        checklist_evaluate(answers=dict.fromkeys(CODES, "no") | {"epilepsy": value})


def test_the_answer_to_a_switched_off_condition_is_ignored():
    Condition.objects.filter(code="liver_disease").update(enabled=False)
    answers = dict.fromkeys(CODES, "no") | {"liver_disease": "yes"}
    evaluation = checklist_evaluate(answers=answers)
    assert evaluation.outcome == "clear"
    assert "liver_disease" not in evaluation.flagged


def test_flagged_codes_follow_the_checklist_order():
    answers = dict.fromkeys(CODES, "no") | {"cochlear_implant": "yes", "ketamine_allergy": "unsure"}
    assert checklist_evaluate(answers=answers).flagged == ("ketamine_allergy", "cochlear_implant")


def test_a_switched_off_condition_is_ignored_whatever_its_answer():
    Condition.objects.filter(code="liver_disease").update(enabled=False)
    evaluation = checklist_evaluate(answers=dict.fromkeys(CODES, "no") | {"liver_disease": "maybe"})
    assert evaluation.outcome == "clear"
