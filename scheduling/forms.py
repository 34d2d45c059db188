"""Front-desk forms: booking a course, registering a phoned-in patient, changing a session."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.models import Patient
from portal.validators import CleanTextMixin
from scheduling.models import Chair, OpeningHours, SessionStatus

WEEKDAY_CHOICES = [(str(value), label) for value, label in OpeningHours.Weekday.choices]
MAX_SLOTS = 18


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (or on top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class BookingForm(CleanTextMixin, forms.Form):
    patient = forms.ModelChoiceField(
        label=_("Patient"),
        queryset=Patient.objects.all(),
        help_text=_("Only patients a clinician has cleared for treatment are listed."),
    )
    first_day = forms.DateField(label=_("First day"), widget=DateInput())
    # Integer fields (not fixed choices) so that "4 a week" reaches the rules and gets their explanation.
    sessions_per_week = forms.IntegerField(
        label=_("Sessions a week"), widget=forms.Select(choices=[(3, "3"), (2, "2")]), initial=3
    )
    weeks = forms.IntegerField(
        label=_("Number of weeks"), widget=forms.Select(choices=[(n, str(n)) for n in range(1, 7)]), initial=6
    )
    start_time = forms.TimeField(
        label=_("Preferred start time"), widget=TimeInput(), initial=dt.time(10, 0),
        help_text=_("Clinic time. The chair is held for the infusion and the recovery after it."),
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Preferred weekdays (optional)"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for the earliest opening days of each week that keep the clear days between sessions."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        listed = [("", _("Choose a cleared patient"))]
        listed += [
            (p.pk, f"{p.full_name}" + (f" ({p.date_of_birth:%Y-%m-%d})" if p.date_of_birth else ""))
            for p in Patient.objects.cleared()
        ]
        # Any patient id is accepted, so an uncleared one gets the rules' explanation, not "invalid choice".
        self.fields["patient"].choices = listed

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "patient": data["patient"],
            "first_day": data["first_day"],
            "sessions_per_week": data["sessions_per_week"],
            "weeks": data["weeks"],
            "start_time": data["start_time"],
            # None: the planner's own rule, the earliest days of each week that keep the rules.
            "weekdays": [int(day) for day in data.get("weekdays") or []] or None,
        }


def slots_from_post(data) -> tuple[list[tuple[dt.date, dt.time, int | None]] | None, list[str]]:
    """The proposed sessions as the front desk adjusted them: (date, time, chair id or None).

    A chosen alternative ("YYYY-MM-DD|HH:MM|chair") replaces the row it belongs to.
    Returns (None, []) when the page carried no proposal.
    """
    try:
        count = int(data.get("slot_count", ""))
    except ValueError:
        return None, []
    count = max(0, min(count, MAX_SLOTS))
    slots, errors = [], []
    for index in range(1, count + 1):
        choice = (data.get(f"slot-{index}-choice") or "").strip()
        if choice:
            raw_date, raw_time, raw_chair = (choice.split("|") + ["", "", ""])[:3]
        else:
            raw_date = data.get(f"slot-{index}-date", "")
            raw_time = data.get(f"slot-{index}-time", "")
            raw_chair = data.get(f"slot-{index}-chair", "")
        try:
            day = dt.date.fromisoformat(raw_date.strip())
            start = dt.time.fromisoformat(raw_time.strip()[:5])
        except ValueError:
            errors.append(str(_("Session %(n)s: enter a date and a time.") % {"n": index}))
            continue
        chair = int(raw_chair) if raw_chair.strip().isascii() and raw_chair.strip().isdigit() else None
        slots.append((day, start, chair))
    return slots, errors


class RegisterPatientForm(CleanTextMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    invite = forms.BooleanField(
        label=_("Email them an invitation to the patient portal"), required=False,
        help_text=_("Needs an email address. The link works once and expires."),
    )


class OnePageForm(CleanTextMixin, forms.Form):
    """Several small forms share one page: each gets its own id prefix, so labels stay unique."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ReasonField(forms.CharField):
    def __init__(self, *, required=True, **kwargs):
        super().__init__(
            label=kwargs.pop("label", _("Reason")),
            max_length=300,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
            **kwargs,
        )


class CancelForm(OnePageForm):
    id_prefix = "cancel"
    reason = ReasonField(label=_("Reason for cancelling"), help_text=_("For example: patient unwell, asked by phone."))


class CancelRestForm(OnePageForm):
    id_prefix = "cancel_rest"
    reason = ReasonField(
        label=_("Reason for cancelling the rest"), help_text=_("Every upcoming session of this course is cancelled.")
    )


class RescheduleForm(OnePageForm):
    id_prefix = "move"
    day = forms.DateField(label=_("New date"), widget=DateInput())
    start_time = forms.TimeField(label=_("New start time"), widget=TimeInput())
    chair = forms.ModelChoiceField(
        label=_("Chair"), queryset=Chair.objects.all(), required=False, empty_label=_("Any free chair")
    )
    reason = ReasonField(label=_("Reason for the move"))


class MarkForm(OnePageForm):
    id_prefix = "mark"
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[(SessionStatus.COMPLETED, _("Completed")), (SessionStatus.NO_SHOW, _("No-show"))],
        widget=forms.RadioSelect,
    )
    reason = ReasonField(label=_("Note"), required=False)


class DateJumpForm(forms.Form):
    date = forms.DateField(label=_("Go to date"), widget=DateInput())


class ClosedDayForm(CleanTextMixin, forms.Form):
    date = forms.DateField(label=_("Day the clinic is closed"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=200, required=False,
        help_text=_("For example: Thanksgiving Day, staff training."),
    )
