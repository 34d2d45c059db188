"""The published guide carries every fact of FACTS.md section A, in plain words."""

import json
import re
from pathlib import Path

import pytest
import textstat
from django.conf import settings

from portal.models import ClinicSettings
from screening.models import Condition
from tests.education.helpers import GUIDE_URL, main_html, main_text

pytestmark = pytest.mark.django_db

SIDE_EFFECTS = {
    "more than 10 in 100": [
        ("feeling sick to your stomach and throwing up", "nausea and vomiting"),
        ("high blood pressure", "hypertension"),
        ("the heart pumps harder", "increased cardiac output"),
        ("fast heartbeat", "tachycardia"),
        ("seeing things that are not there", "visual hallucinations"),
        ("a dream-like experience", "vivid dreams"),
        ("out-of-body sensation", "dissociative anesthesia"),
    ],
    "1 to 10 in 100": [
        ("slow heartbeat", "bradycardia"),
        ("double vision", "diplopia"),
        ("low blood pressure", "hypotension"),
        ("increased pressure inside the eye", "increased intraocular pressure"),
        ("pain where the needle goes in", "injection-site pain"),
        ("eyes moving on their own", "nystagmus"),
    ],
    "fewer than 1 in 100": [
        ("severe allergic reaction", "anaphylaxis"),
        ("irregular heartbeat", "cardiac arrhythmia"),
        ("a weak cough when something goes down the wrong way", "depressed cough reflex"),
        ("muscle twitches", "fasciculations"),
        ("too much saliva", "hypersalivation"),
        ("the body burns energy faster", "increased metabolic rate"),
        ("stiff, tight muscles", "hypertonia"),
        ("vocal cords suddenly tighten", "laryngospasm"),
        ("slowed or stopped breathing", "respiratory depression or apnea"),
    ],
}

# One phrase (or more) per FACTS.md section A fact outside the side-effect lists.
FACTS = [
    "anesthetic",
    "treatment-resistant depression",
    "clinical depression",
    "post-traumatic stress disorder",
    "PTSD",
    "not gotten better with other treatments",
    "not FDA approved",
    "used off label",
    "opioids, alcohol or cocaine",
    "pleasure pathway",
    "different way from common antidepressants",
    "NMDA receptor",
    "glutamate",
    "AMPA receptor",
    "synaptogenesis",
    "gene expression",
    "mood, thought patterns",
    "cognition",
    "inflammation signals",
    "within certain parts of the brain",
    "several of these things happen at once",
    "still studying",
    "Empty your bladder",
    "Lie down in a relaxed position",
    "care providers",
    "phone and headphones",
    "45 to 60 minutes",
    "monitor",
    "before you are cleared to go home",
    "1 to 2 hours after the infusion ends",
    "12 hours after each treatment",
    "Do not drive for 12 hours",
    "alcohol or take street drugs",
    "responsible adult",
    "2 to 3 sessions each week",
    "2 to 3 a week",
    "6 weeks",
    "at most 18 sessions",
    "times that suit you",
    "every 5 sessions",
    "Some signs we can measure",
    "after 1 or 2 sessions",
    "For most people it takes longer",
    "911",
    "988",
]


def test_it_states_every_fact_of_the_clinics_material(client):
    text = main_text(client.get(GUIDE_URL))
    missing = [fact for fact in FACTS if fact not in text]
    assert not missing, missing


def test_it_groups_every_side_effect_by_how_often_it_happens_plain_name_first(client):
    content = main_html(client.get(GUIDE_URL))
    groups = re.findall(
        r'<h3 id="([^"]+)">(.*?)</h3>\s*<ul class="side-effects" aria-labelledby="\1">(.*?)</ul>', content, re.S
    )
    assert len(groups) == 3
    text = main_text(client.get(GUIDE_URL))
    for (_, heading, items), (band, effects) in zip(groups, SIDE_EFFECTS.items(), strict=True):
        assert band in heading
        assert items.count("<li>") == len(effects)
        for plain, term in effects:
            assert f"{plain} ({term})" in text


def test_the_day_of_a_session_is_an_ordered_list_of_six_steps(client):
    content = main_html(client.get(GUIDE_URL))
    section = re.search(r'<section id="day-of-session".*?</section>', content, re.S).group(0)
    steps = re.search(r"<ol class=\"guide-steps\">(.*?)</ol>", section, re.S).group(1)
    assert steps.count("<li>") == 6


def test_every_clinic_condition_appears_in_plain_words_leading_to_the_self_screening(client):
    content = main_html(client.get(GUIDE_URL))
    section = re.search(r'<section id="caution".*?</section>', content, re.S).group(0)
    clinic = list(Condition.objects.from_clinic().values_list("plain", flat=True))
    assert len(clinic) == 22
    for plain in clinic:
        assert f'<span class="condition-plain">{plain}</span>' in section
    assert 'href="/screening/"' in section
    assert "does not mean you cannot have treatment" in section
    assert "clinician" in section


def test_the_conditions_come_from_the_screening_data_not_a_copy(client):
    condition = Condition.objects.from_clinic().get(code="epilepsy")
    condition.plain = "Do you have epilepsy, or have you ever had a seizure?"
    condition.save()
    assert "Do you have epilepsy, or have you ever had a seizure?" in main_text(client.get(GUIDE_URL))


def test_the_guide_and_the_checklist_are_one_list(client):
    # Issue 15: every condition the checklist asks (the clinic's own and the wider safety
    # questions it added) is in the guide with its plain question and its medical term.
    data = json.loads(Path(settings.BASE_DIR, "screening/data/contraindications.json").read_text())
    text = main_text(client.get(GUIDE_URL))
    for entry in data["conditions"]:
        assert entry["plain"] in text, entry["code"]
    for term in ("Unstable angina", "Pregnancy or breastfeeding", "Liver disease", "History of psychosis or mania"):
        assert f"medical term: {term}" in text
    # Shown to patients without the clinician's note, in US spelling.
    assert "medical term: Epilepsy)" in text and "status epilepticus" not in text
    assert "hemorrhage" in text and "haemorrhage" not in text


def test_a_condition_the_clinic_switches_off_leaves_the_guide(client):
    Condition.objects.filter(code="liver_disease").update(enabled=False)
    from education import pages

    pages.invalidate()
    assert "Do you have liver disease?" not in main_text(client.get(GUIDE_URL))


def test_the_guide_promises_no_more_than_the_clinic_can(client):
    text = main_text(client.get(GUIDE_URL))
    assert "not turned away" not in text
    assert "decides with you whether treatment is right for you" in text


def test_the_no_driving_hours_follow_the_clinic_setting(client):
    assert "Do not drive for 12 hours" in main_text(client.get(GUIDE_URL))
    clinic = ClinicSettings.load()
    clinic.no_driving_hours = 24
    clinic.save()
    text = main_text(client.get(GUIDE_URL))
    assert "Do not drive for 24 hours" in text
    assert "For 24 hours after each treatment, the clinic asks you not to drive" in text
    assert "12 hours" not in text


def test_the_clinic_phone_comes_from_settings_as_a_link(client, settings):
    settings.CLINIC_PHONE = "(555) 123-4567"
    content = main_html(client.get(GUIDE_URL))
    assert '<a href="tel:+15551234567">(555) 123-4567</a>' in content


def test_the_main_text_reads_at_us_grade_eight_or_lower(client):
    text = main_text(client.get(GUIDE_URL))
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= 8, grade


def test_it_has_a_table_of_contents_linking_to_every_section(client):
    content = main_html(client.get(GUIDE_URL))
    toc = re.search(r'<nav class="guide-toc".*?</nav>', content, re.S).group(0)
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert anchors[:10] == [
        "key-points",
        "what-it-is",
        "how-it-works",
        "is-it-approved",
        "day-of-session",
        "after-session",
        "how-many-sessions",
        "side-effects",
        "caution",
        "when-to-call",
    ]
    for anchor in anchors:
        assert f'<section id="{anchor}"' in content


def test_it_explains_medical_terms_in_a_glossary(client):
    content = main_html(client.get(GUIDE_URL))
    for abbr, expansion in [
        ("NMDA", "N-methyl-D-aspartate"),
        ("FDA", "Food and Drug Administration"),
        ("PTSD", "post-traumatic stress disorder"),
        ("AMPA", "alpha-amino-3-hydroxy-5-methyl-4-isoxazolepropionic acid"),
    ]:
        assert f'<dfn><abbr title="{expansion}">{abbr}</abbr></dfn>' in content
    assert "<dfn>Synaptogenesis</dfn>" in content


def test_it_has_one_h1_a_title_a_description_and_a_print_stylesheet(client):
    content = client.get(GUIDE_URL).content.decode()
    assert content.count("<h1") == 1
    assert "<p><p>" not in content
    assert "<title>Ketamine infusion: a guide for patients · " in content
    assert '<meta name="description" content="What ketamine infusion is, who it may help' in content
    assert "/static/css/education.css" in content
    css = Path(settings.BASE_DIR, "static/css/education.css").read_text()
    assert "@media print" in css


def test_it_uses_us_spelling_and_the_clinical_reviews_plain_words(client):
    """Issue 16: US spelling throughout, "addicted to" and "street drugs" rather than jargon."""
    text = main_text(client.get(GUIDE_URL)).lower()
    # The checklist's own questions (screening data, the clinic's shared list) are not the guide's words.
    text = text.rsplit("conditions that call for caution", 1)[0] + text.rsplit("when to call us or get help", 1)[-1]
    for british in ("anaesth", "apnoea", "tumour", "haemorrh", "oedema"):
        assert british not in text, british
    assert "intoxicants" not in text and "dependent on" not in text
    assert "addicted to opioids, alcohol or cocaine" in text


def test_the_guide_opens_with_key_points_and_states_the_rule_in_bold(client):
    # Clinical review: the key points first, the clinic's no-driving rule in bold, one rule for the
    # way home, and the bladder advice in one place (before the infusion starts).
    content = main_html(client.get(GUIDE_URL))
    key = re.search(r'<section id="key-points".*?</section>', content, re.S).group(0)
    text = re.sub(r"<[^>]+>", "", key)
    for fact in ("2 to 3 sessions a week, for up to 6 weeks", "Do not drive for 12 hours", "responsible adult",
                 "911", "988"):
        assert fact in text, fact
    assert "<strong>Do not drive for 12 hours after each session.</strong>" in key
    words = main_text(client.get(GUIDE_URL))
    assert "no bus, train, taxi or ride-share alone" in words
    assert words.count("bladder") == 1 and "just before the infusion starts" in words
