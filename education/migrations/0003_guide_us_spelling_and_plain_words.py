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
    if not _rewrite(Item.objects.filter(section__guide=guide)) or not draft_was_published:
        return
    number = max(Revision.objects.filter(guide=guide).values_list("number", flat=True)) + 1
    revision = Revision.objects.create(
        guide=guide, number=number, published_at=timezone.now(),
        content=build_snapshot(title=guide.title, summary=guide.summary, sections=_draft(guide, Section, Item)),
        changes="US spelling and plainer words (anesthesia, apnea, addicted to, street drugs).",
    )
    guide.published_revision = revision
    guide.save(update_fields=["published_revision"])


class Migration(migrations.Migration):
    dependencies = [("education", "0002_ketamine_guide")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
