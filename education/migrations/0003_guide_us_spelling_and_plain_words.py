"""The clinic's guide in US spelling and plainer words (issue 16, clinical review): "anesthesia",
"apnea"; "addicted to", not "dependent on"; "alcohol or street drugs", not "intoxicants";
"increased pressure inside the eye"; and no promise that nobody is turned away (issue 15).

Only text the clinic has not changed since the portal loaded it is rewritten. When the draft was
the published guide, the result is published as the next revision (the record of what patients
were told stays whole); a draft with unpublished edits is left for staff to publish.
"""

from django.db import migrations
from django.utils import timezone

SLUG = "ketamine-infusion"
REPLACEMENTS = [
    ("dissociative anaesthesia", "dissociative anesthesia"),
    ("respiratory depression or apnoea", "respiratory depression or apnea"),
    ("A medicine that puts you to sleep, or stops you feeling pain, during surgery. Some people spell it anaesthetic.",
     "A medicine that puts you to sleep, or stops you feeling pain, during surgery."),
    ("people who are dependent on opioids, alcohol or cocaine", "people who are addicted to opioids, alcohol or cocaine"),
    ("Do not drink alcohol or take drugs (intoxicants) for", "Do not drink alcohol or take street drugs for"),
    # Clinical review (issues 14 and 16): plain words, one rule for the way home, the clinic's rule
    # in bold, the bladder advice in one place.
    ("This is called treatment-resistant depression. It is a kind of clinical depression.",
     "This is called treatment-resistant depression. It is a kind of clinical depression: depression that "
     "needs a doctor's care."),
    ("Ketamine works in a different way from common antidepressants (medicines for depression). "
     "That is why it may help when those medicines have not.",
     "Ketamine acts on brain chemicals in a different way from common antidepressants. "
     "This may help the brain build new connections. That is why it may help when other medicines for "
     "depression have not. The details below are for those who want them."),
    ("release molecules that help nerve cells", "release chemicals that help nerve cells"),
    ("Ketamine may also calm inflammation signals in the body. These signals are linked to mood disorders. ",
     "Ketamine may also calm inflammation signals in the body (signals of swelling and irritation). "
     "These signals are linked to mood disorders: problems with mood, such as depression. "),
    ("Empty your bladder (use the toilet) before the session.",
     "Empty your bladder (use the toilet) just before the infusion starts."),
    ("For {no_driving_hours} hours after each treatment, do not drive. "
     "Do not drink alcohol or take drugs in that time.",
     "**For {no_driving_hours} hours after each treatment, the clinic asks you not to drive, and not to drink "
     "alcohol or take street drugs.** Ask us about your usual medicines."),
    ("Do not drive for {no_driving_hours} hours after each treatment.",
     "**Do not drive for {no_driving_hours} hours after each treatment.**"),
    ("Have a responsible adult take you home. Please do not go home alone by bus or train.",
     "A responsible adult takes you home. No driving, and no bus, train, taxi or ride-share alone."),
    # Issue 15: the guide does not promise more than the clinic can.
    ("reviews your answers and talks with you first. You are not turned away.",
     "reviews your answers, talks it through with you, and decides with you whether treatment is right for you."),
]
ROW_PLAIN = [("pressure inside the eye", "increased pressure inside the eye")]


def _draft(guide, Section, Item) -> list[dict]:
    return [
        {
            "anchor": section.anchor, "heading": section.heading, "kind": section.kind,
            "items": [
                {"kind": item.kind, "text": item.text, "term": item.term, "expansion": item.expansion}
                for item in Item.objects.filter(section=section).order_by("order", "pk")
            ],
        }
        for section in Section.objects.filter(guide=guide).order_by("order", "pk")
    ]


def _rewrite(items) -> int:
    changed = 0
    for item in items:
        before = (item.text, item.term)
        for old, new in REPLACEMENTS:
            item.text, item.term = item.text.replace(old, new), item.term.replace(old, new)
        if item.kind == "row":
            item.text = dict(ROW_PLAIN).get(item.text, item.text)
        if (item.text, item.term) != before:
            item.save(update_fields=["text", "term"])
            changed += 1
    return changed


KEY_POINTS = [
    "Most people have 2 to 3 sessions a week, for up to 6 weeks.",
    "**Do not drive for {no_driving_hours} hours after each session.** Do not drink alcohol or take street drugs "
    "in that time either.",
    "Bring a responsible adult to take you home after each session.",
    "In an emergency, call 911. If you are in crisis or thinking about harming yourself, call or text 988.",
    "The day itself: you arrive, a care provider talks you through it, the infusion takes 45 to 60 minutes, "
    "and you rest until staff say you are ready to go home, usually 1 to 2 hours after it ends.",
]


def _key_points(guide, Section, Item) -> int:
    """A "Key points" box first in the guide (clinical review), unless the clinic has one."""
    if Section.objects.filter(guide=guide, anchor="key-points").exists():
        return 0
    for section in Section.objects.filter(guide=guide):
        section.order += 1
        section.save(update_fields=["order"])
    section = Section.objects.create(guide=guide, anchor="key-points", heading="Key points", kind="text", order=0)
    for order, text in enumerate(KEY_POINTS):
        Item.objects.create(section=section, kind="point", text=text, order=order)
    return 1


def forwards(apps, schema_editor):
    from education.snapshot import build_snapshot

    Guide = apps.get_model("education", "Guide")
    Section = apps.get_model("education", "Section")
    Item = apps.get_model("education", "Item")
    Revision = apps.get_model("education", "Revision")
    guide = Guide.objects.filter(slug=SLUG).first()
    if guide is None:
        return
    published = Revision.objects.filter(pk=guide.published_revision_id).first()
    draft_was_published = published is not None and published.content == build_snapshot(
        title=guide.title, summary=guide.summary, sections=_draft(guide, Section, Item)
    )
    changed = _rewrite(Item.objects.filter(section__guide=guide)) + _key_points(guide, Section, Item)
    if not changed or not draft_was_published:
        return
    number = max(Revision.objects.filter(guide=guide).values_list("number", flat=True)) + 1
    revision = Revision.objects.create(
        guide=guide, number=number, published_at=timezone.now(),
        content=build_snapshot(title=guide.title, summary=guide.summary, sections=_draft(guide, Section, Item)),
        changes="US spelling and plainer words (anesthesia, apnea, addicted to, street drugs); key points first; "
                "the clinic's no-driving rule in bold; one rule for the way home.",
    )
    guide.published_revision = revision
    guide.save(update_fields=["published_revision"])


class Migration(migrations.Migration):
    dependencies = [("education", "0002_ketamine_guide")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
