from django import forms
from django.utils.translation import gettext_lazy as _

from portal.clock import clinic_today
from portal.form_errors import AccessibleFormMixin
from portal.validators import CleanTextMixin, control_characters
from screening.models import Clearance
from screening.services import ANSWERS, NOTE_MAX


def step_answers_read(data, step: dict) -> tuple[dict[str, str], list[dict], list[str]]:
    """Read one step's radio answers from POST data.

    Returns the valid answers, the questions still without a valid answer, and
    messages about tampered fields (codes not on this step, values other than
    yes/no/unsure).
    """
    codes = [item["code"] for item in step["conditions"]]
    answers: dict[str, str] = {}
    missing: list[dict] = []
    problems: list[str] = []
    ignored = {"csrfmiddlewaretoken", "action"} | {f"{NOTE_PREFIX}{code}" for code in codes}
    unknown = sorted(key for key in data if key not in ignored and key not in codes)
    if unknown:
        problems.append(str(_("The form had answers to questions that are not on this step. Please answer the questions shown.")))
    for item in step["conditions"]:
        value = data.get(item["code"], "")
        if value in ANSWERS:
            answers[item["code"]] = value
        else:
            if value:
                problems.append(str(_("Choose Yes, No or Not sure for every question.")))
            missing.append(item)
    return answers, missing, sorted(set(problems))


NOTE_PREFIX = "note-"


def step_notes_read(data, step: dict, answers: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The optional short notes a patient adds to a "Yes" or "Not sure" ("I had a stent in 2019").
    A note on a "No" is dropped; one that is too long or holds invisible characters is refused."""
    notes: dict[str, str] = {}
    problems: list[str] = []
    for item in step["conditions"]:
        code = item["code"]
        raw = data.get(f"{NOTE_PREFIX}{code}", "")
        note = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not note:
            continue
        if control_characters(raw, multiline=True):
            problems.append(str(_("Remove the invisible characters from your notes.")))
        elif len(note) > NOTE_MAX:
            problems.append(str(_("Keep each note to %(max)d characters or fewer.") % {"max": NOTE_MAX}))
        elif answers.get(code) in ("yes", "unsure"):
            notes[code] = note
    return notes, sorted(set(problems))


class DescribedErrorsMixin:
    """Bootstrap classes on inputs, and each error message tied to its input (with the
    help text) for screen readers; rendered by templates/screening/_form_fields.html."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.RadioSelect | forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-control")

    def full_clean(self):
        super().full_clean()
        self._describe_errors()

    def add_error(self, field, error):
        # Errors a service returns after validation are tied to their inputs too.
        super().add_error(field, error)
        self._describe_errors()

    def _describe_errors(self):
        for name in self._errors or {}:
            if name in self.fields:
                auto_id = self[name].auto_id
                ids = [f"{auto_id}_error"] + ([f"{auto_id}_helptext"] if self.fields[name].help_text else [])
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)
                self.fields[name].widget.attrs["aria-invalid"] = "true"


class SendForm(AccessibleFormMixin, CleanTextMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(
        label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Give an email address, a phone number, or both, so the clinic can reach you."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        help_text=_("Month, day and year, for example 03/21/1980."),
    )
    consent = forms.BooleanField(
        label=_("I agree that the clinic may store my answers and these details, which are health information, "
                "to review my referral."),
        required=False,
        help_text=_("Without this, nothing is stored. Your answers stay only in this browser session and expire."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "consent":
                field.widget.attrs.setdefault("class", "form-control")

    def full_clean(self):
        super().full_clean()
        # Tie each error message to its input, with the help text, for screen readers.
        for name in self.errors:
            if name in self.fields:
                ids = [f"id_{name}_error"] + ([f"id_{name}_helptext"] if self.fields[name].help_text else [])
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def clean(self):
        cleaned = super().clean()
        if "email" not in self.errors and not cleaned.get("email") and not (cleaned.get("phone") or "").strip():
            self.add_error("email", _("Enter an email address or a phone number so the clinic can reach you."))
        dob = cleaned.get("date_of_birth")
        if dob and (dob >= clinic_today() or dob.year < 1900):
            self.add_error("date_of_birth", _("Enter a date of birth in the past."))
        if not cleaned.get("consent"):
            self.add_error(
                "consent",
                _("Tick the box to agree that the clinic may store your answers. Without it, nothing is sent."),
            )
        return cleaned


class DecisionForm(AccessibleFormMixin, DescribedErrorsMixin, CleanTextMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Clearance.Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for \"not suitable\" and \"needs more information\": say why and what comes next."),
    )


class ConsentSignForm(DescribedErrorsMixin, CleanTextMixin, forms.Form):
    """The signature: the patient's full name, typed by the patient, and the tick."""

    signed_name = forms.CharField(
        label=_("Your full name"),
        max_length=201,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Type your first and last name, the way the clinic has them."),
        error_messages={
            "required": _("Type your full name to sign."),
            "max_length": _("This is too long for a name. Type your first and last name."),
        },
    )
    agree = forms.BooleanField(
        label=_("I have read this form and agree"),
        error_messages={"required": _("Tick the box to say you have read the form and agree.")},
    )
