"""The PHQ-9 as published (Kroenke, Spitzer & Williams; developed with a grant from
Pfizer, free to reproduce), with the LOINC code of each item."""

from django.utils.translation import gettext_lazy as _

STEM = _("Over the last 2 weeks, how often have you been bothered by any of the following problems?")

# (LOINC code, published wording), in PHQ-9 item order. Panel 44249-1, total 44261-6.
ITEMS = [
    ("44250-9", _("Little interest or pleasure in doing things")),
    ("44255-8", _("Feeling down, depressed, or hopeless")),
    ("44259-0", _("Trouble falling or staying asleep, or sleeping too much")),
    ("44254-1", _("Feeling tired or having little energy")),
    ("44251-7", _("Poor appetite or overeating")),
    ("44258-2", _("Feeling bad about yourself — or that you are a failure or have let yourself or your family down")),
    ("44252-5", _("Trouble concentrating on things, such as reading the newspaper or watching television")),
    (
        "44253-3",
        _(
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
            "or restless that you have been moving around a lot more than usual"
        ),
    ),
    ("44260-8", _("Thoughts that you would be better off dead or of hurting yourself in some way")),
]

# The optional tenth question of the published form (LOINC 69722-7): it is not scored.
DIFFICULTY_LOINC = "69722-7"
DIFFICULTY_TEXT = _(
    "If you checked off any problems, how difficult have these problems made it for you to do your work, "
    "take care of things at home, or get along with other people?"
)
DIFFICULTY_CHOICES = [
    ("not_difficult", _("Not difficult at all")),
    ("somewhat", _("Somewhat difficult")),
    ("very", _("Very difficult")),
    ("extremely", _("Extremely difficult")),
]

CHOICES = [
    (0, _("Not at all")),
    (1, _("Several days")),
    (2, _("More than half the days")),
    (3, _("Nearly every day")),
]

# LOINC answer list LL358-3 (PHQ-9 frequency), by score.
ANSWER_LOINC = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}

# (upper bound inclusive, band)
BANDS = [(4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately severe"), (27, "severe")]

REMISSION_BELOW = 5  # a total under 5 counts as remission
RESPONSE_FALL = 0.5  # a fall of 50% or more from baseline counts as response


def band_for(total: int) -> str:
    for upper, band in BANDS:
        if total <= upper:
            return band
    raise ValueError(total)
