"""The PHQ-9 questionnaire's answers and the clinicians' alert review."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.form_errors import AccessibleFormMixin
from portal.validators import CleanTextMixin
from screening.forms import DescribedErrorsMixin
from symptoms.phq9 import ITEMS


def phq9_answers_read(data) -> tuple[list[int | None], list[int]]:
    """The nine answers from POST data (None where missing or out of range), and the
    numbers of the questions without a valid answer."""
    answers: list[int | None] = []
    missing: list[int] = []
    for number in range(1, len(ITEMS) + 1):
        value = data.get(f"item{number}", "")
        if value in ("0", "1", "2", "3"):
            answers.append(int(value))
        else:
            answers.append(None)
            missing.append(number)
    return answers, missing


class AlertReviewForm(AccessibleFormMixin, DescribedErrorsMixin, CleanTextMixin, forms.Form):
    """One per open alert on a page, so each gets its own ids."""

    def __init__(self, *args, alert_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"id_alert{alert_id}_%s")
        super().__init__(*args, **kwargs)

    note = forms.CharField(
        label=_("What you did"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: called the patient, safety plan agreed, follow-up booked."),
    )


class ContactAttemptForm(DescribedErrorsMixin, CleanTextMixin, forms.Form):
    """A call about an item-9 alert: one per open alert on a page, so each gets its own ids."""

    def __init__(self, *args, alert_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"id_contact{alert_id}_%s")
        super().__init__(*args, **kwargs)

    outcome = forms.ChoiceField(
        label=_("What happened"), widget=forms.RadioSelect,
        choices=[("reached", _("Reached the patient")), ("no_answer", _("No answer")),
                 ("message_left", _("Left a message"))],
    )
    at = forms.DateTimeField(
        label=_("When (leave empty for now)"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the clinic's time zone."),
    )
    note = forms.CharField(label=_("Short note (optional)"), required=False)
