"""The clinic's ketamine infusion guide (FACTS.md section A, in plain words), published as revision 1.

The no-driving hours and the clinic's phone number are placeholders filled from
the clinic's settings when the page is rendered; the conditions that call for
caution come from the screening checklist's own rows. Neither is copied here.
"""

from django.db import migrations
from django.utils import timezone

SLUG = "ketamine-infusion"
TITLE = "Ketamine infusion: a guide for patients"
SUMMARY = (
    "What ketamine infusion is, who it may help, what happens on the day, how many sessions you need, "
    "side effects, and when to call us."
)


def p(text):
    return {"kind": "paragraph", "text": text}


def step(text):
    return {"kind": "step", "text": text}


def point(text):
    return {"kind": "point", "text": text}


def sub(text):
    return {"kind": "subheading", "text": text}


def row(plain, term):
    return {"kind": "row", "text": plain, "term": term}


def term(word, text, expansion=""):
    return {"kind": "term", "term": word, "text": text, "expansion": expansion}


NMDA = '<abbr title="N-methyl-D-aspartate">NMDA</abbr>'
AMPA = '<abbr title="alpha-amino-3-hydroxy-5-methyl-4-isoxazolepropionic acid">AMPA</abbr>'
PTSD = '<abbr title="post-traumatic stress disorder">PTSD</abbr>'
FDA = '<abbr title="Food and Drug Administration">FDA</abbr>'

SECTIONS = [
    {
        "anchor": "what-it-is",
        "heading": "What it is and who it is for",
        "items": [
            p("Ketamine is a medicine. For many years, doctors have used it to put people to sleep for surgery. "
              "A drug used this way is called an anesthetic."),
            p("Now doctors also use ketamine to treat two health problems. They are still doing research on both:"),
            point("Depression that has not gotten better with other treatments. "
                  "This is called treatment-resistant depression. It is a kind of clinical depression."),
            point(f"A condition called post-traumatic stress disorder ({PTSD}). It can start after a very scary or harmful event."),
            p("Ketamine infusion is most suitable for people who have not gotten better with other treatments."),
            p("Researchers are also testing it for people who are dependent on opioids, alcohol or cocaine. "
              "Why? Ketamine acts on receptors in the brain. These receptors are part of the brain's "
              "\u201cpleasure pathway.\u201d"),
        ],
    },
    {
        "anchor": "how-it-works",
        "heading": "How it works",
        "items": [
            p("Ketamine works in a different way from common antidepressants (medicines for depression). "
              "That is why it may help when those medicines have not."),
            p("Here is what doctors think happens in the brain:"),
            point(f"Ketamine blocks a kind of receptor on nerve cells (neurons). It is called the {NMDA} receptor."),
            point("This seems to raise the amount of glutamate between nerve cells. "
                  "Glutamate is a chemical that nerve cells use to send signals."),
            point(f"The glutamate then turns on a second kind of receptor. It is called the {AMPA} receptor."),
            point("Together, these steps release molecules that help nerve cells talk to each other along new paths. "
                  "This is called synaptogenesis. It works by changing which genes are turned on (gene expression)."),
            point("This likely changes mood, thought patterns and how well you think (cognition)."),
            p("Ketamine may also calm inflammation signals in the body. These signals are linked to mood disorders. "
              "It may also help signals move better within certain parts of the brain."),
            p("Most likely, several of these things happen at once. Scientists are still studying them."),
        ],
    },
    {
        "anchor": "is-it-approved",
        "heading": "Is it approved?",
        "items": [
            p(f"The Food and Drug Administration ({FDA}) has not approved ketamine infusion for depression or {PTSD}. "
              "So for these uses, ketamine infusion is not FDA approved."),
            p("Doctors may still use it this way. When a doctor uses a medicine for something it is not approved for, "
              "this is called off-label use. Ketamine infusion is widely used off label."),
        ],
    },
    {
        "anchor": "day-of-session",
        "heading": "The day of your session",
        "items": [
            p("This is what happens, step by step:"),
            step("Empty your bladder (use the toilet) before the session."),
            step("Lie down in a relaxed position."),
            step("You meet one of your care providers. They walk you through the treatment. "
                 "You may use your phone and headphones during the infusion."),
            step("The infusion lasts 45 to 60 minutes. Staff watch you closely (monitor you) the whole time."),
            step("After the infusion, staff check how you are before you are cleared to go home. "
                 "Most people go home 1 to 2 hours after the infusion ends."),
            step("For {no_driving_hours} hours after each treatment, do not drive. "
                 "Do not drink alcohol or take drugs in that time."),
        ],
    },
    {
        "anchor": "after-session",
        "heading": "After your session",
        "items": [
            p("Ketamine can affect you for some time after the infusion. To keep you safe:"),
            point("Do not drive for {no_driving_hours} hours after each treatment."),
            point("Do not drink alcohol or take drugs (intoxicants) for {no_driving_hours} hours after each treatment."),
            point("Have a responsible adult take you home. Please do not go home alone by bus or train."),
            p("We tell you the exact time when you may drive again."),
        ],
    },
    {
        "anchor": "how-many-sessions",
        "heading": "How many sessions you need",
        "items": [
            point("You have at least 2 to 3 sessions each week."),
            point("A course lasts up to 6 weeks. That is at most 18 sessions in all."),
            point("We book your sessions at times that suit you. Tell us which days and times work best."),
            point("We review your symptoms after every 5 sessions, or sooner if needed. "
                  "We look for signs that you are getting better. Some signs we can measure. "
                  "Others are how you feel."),
            point("Some people feel better after 1 or 2 sessions. For most people it takes longer. "
                  "Do not lose hope if you do not feel a change at first."),
            p("In short: 2 to 3 a week, for up to 6 weeks, with a review every 5 sessions."),
        ],
    },
    {
        "anchor": "side-effects",
        "heading": "Side effects",
        "items": [
            p("Like all medicines, ketamine can cause side effects. Staff watch for them during and after each session. "
              "Each list below gives the plain name first, with the medical term beside it."),
            sub("Common: more than 10 in 100 people"),
            row("feeling sick to your stomach and throwing up", "nausea and vomiting"),
            row("high blood pressure", "hypertension"),
            row("the heart pumps harder", "increased cardiac output"),
            row("fast heartbeat", "tachycardia"),
            row("seeing things that are not there", "visual hallucinations"),
            row("a dream-like experience", "vivid dreams"),
            row("out-of-body sensation", "dissociative anaesthesia"),
            sub("Less common: 1 to 10 in 100 people"),
            row("slow heartbeat", "bradycardia"),
            row("double vision", "diplopia"),
            row("low blood pressure", "hypotension"),
            row("pressure inside the eye", "increased intraocular pressure"),
            row("pain where the needle goes in", "injection-site pain"),
            row("eyes moving on their own", "nystagmus"),
            sub("Rare: fewer than 1 in 100 people"),
            row("severe allergic reaction", "anaphylaxis"),
            row("irregular heartbeat", "cardiac arrhythmia"),
            row("a weak cough when something goes down the wrong way", "depressed cough reflex"),
            row("muscle twitches", "fasciculations"),
            row("too much saliva", "hypersalivation"),
            row("the body burns energy faster", "increased metabolic rate"),
            row("stiff, tight muscles", "hypertonia"),
            row("vocal cords suddenly tighten", "laryngospasm"),
            row("slowed or stopped breathing", "respiratory depression or apnoea"),
            p("Tell staff right away if you feel unwell during or after a session."),
        ],
    },
    {
        "anchor": "caution",
        "heading": "Conditions that call for caution",
        "kind": "conditions",
        "items": [
            p("Some health problems mean we must take extra care with ketamine. "
              "We call them conditions that call for caution."),
            p("Caution does not mean you cannot have treatment. It means a clinician (one of our doctors or nurses) "
              "reviews your answers and talks with you first. You are not turned away."),
            p("Think about these questions. If the answer to any of them is yes, or you are not sure, "
              "a clinician will review it with you:"),
        ],
    },
    {
        "anchor": "when-to-call",
        "heading": "When to call us or get help",
        "items": [
            point("Call the clinic at {clinic_phone} if you have questions, or if you feel unwell after a session."),
            point("Call 911 if you have chest pain, trouble breathing, or another emergency."),
            point("If you are thinking about harming yourself, call or text 988. "
                  "This is the Suicide and Crisis Lifeline. It is free, and someone is there day and night."),
        ],
    },
    {
        "anchor": "glossary",
        "heading": "Words we use",
        "kind": "glossary",
        "items": [
            term("AMPA", "A kind of receptor on nerve cells. Glutamate turns it on.",
                 "alpha-amino-3-hydroxy-5-methyl-4-isoxazolepropionic acid"),
            term("Anesthetic", "A medicine that puts you to sleep, or stops you feeling pain, during surgery. "
                 "Some people spell it anaesthetic."),
            term("Clinician", "A doctor, nurse or other health worker who treats patients."),
            term("FDA", "The part of the United States government that approves medicines.",
                 "Food and Drug Administration"),
            term("Glutamate", "A chemical that nerve cells use to pass signals to each other."),
            term("Infusion", "Medicine given slowly through a thin tube into a vein."),
            term("NMDA", "A kind of receptor on nerve cells. Ketamine blocks it.", "N-methyl-D-aspartate"),
            term("Off-label use", "Using a medicine for something it is not approved for."),
            term("PTSD", "A condition that can start after a very scary or harmful event. "
                 "It can cause bad memories, bad dreams and strong fear.", "post-traumatic stress disorder"),
            term("Receptor", "A part of a cell that picks up one kind of signal, like a lock that fits one key."),
            term("Synaptogenesis", "The growth of new links between nerve cells."),
            term("Treatment-resistant depression", "Depression that has not gotten better after other treatments."),
        ],
    },
]


def load_guide(apps, schema_editor):
    from education.snapshot import build_snapshot

    Guide = apps.get_model("education", "Guide")
    Section = apps.get_model("education", "Section")
    Item = apps.get_model("education", "Item")
    Revision = apps.get_model("education", "Revision")

    if Guide.objects.filter(slug=SLUG).exists():
        return
    guide = Guide.objects.create(slug=SLUG, title=TITLE, summary=SUMMARY, order=0, draft_updated_at=timezone.now())
    for s_order, section in enumerate(SECTIONS, start=1):
        row_ = Section.objects.create(
            guide=guide, anchor=section["anchor"], heading=section["heading"],
            kind=section.get("kind", "text"), order=s_order * 10,
        )
        for i_order, item in enumerate(section["items"], start=1):
            Item.objects.create(
                section=row_, kind=item["kind"], text=item["text"], term=item.get("term", ""),
                expansion=item.get("expansion", ""), order=i_order * 10,
            )
    snapshot = build_snapshot(title=TITLE, summary=SUMMARY, sections=SECTIONS)
    revision = Revision.objects.create(
        guide=guide, number=1, content=snapshot, changes="The clinic's guide, loaded with the portal.",
        published_at=timezone.now(),
    )
    guide.published_revision = revision
    guide.save(update_fields=["published_revision"])


def unload_guide(apps, schema_editor):
    Guide = apps.get_model("education", "Guide")
    Revision = apps.get_model("education", "Revision")
    Guide.objects.filter(slug=SLUG).update(published_revision=None)
    Revision.objects.filter(guide__slug=SLUG).delete()
    Guide.objects.filter(slug=SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("education", "0001_guides")]

    operations = [migrations.RunPython(load_guide, unload_guide)]
