"""Front-desk forms: booking a course, registering a phoned-in patient, changing a session."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.form_errors import AccessibleFormMixin
from portal.forms import DateInput, PatientDetailsForm
from portal.models import Patient
from portal.validators import CleanTextMixin
from scheduling.models import Chair, OpeningHours, SessionStatus

WEEKDAY_CHOICES = [(str(value), label) for value, label in OpeningHours.Weekday.choices]
MAX_SLOTS = 18


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class BookingForm(AccessibleFormMixin, CleanTextMixin, forms.Form):
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


class SlotForm(AccessibleFormMixin, forms.Form):
    """One proposed session as the front desk adjusted it: its date, start time and chair, or
    one of the planner's alternatives ("YYYY-MM-DD|HH:MM|chair id"), which replaces the row."""

    date = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    time = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())
    chair = forms.TypedChoiceField(label=_("Chair"), coerce=int, required=False, empty_value=None)
    choice = forms.CharField(required=False)  # rendered as the row's alternatives (radio buttons)

    def __init__(self, *args, chairs: list[Chair], **kwargs):
        super().__init__(*args, **kwargs)
        # The chairs are read once for all the rows (form_kwargs), not once per row.
        self.chairs = {chair.pk: chair for chair in chairs}
        self.fields["chair"].choices = [("", _("Any free chair"))] + [
            (chair.pk, chair.name if chair.active else f"{chair.name} ({_('not in use')})") for chair in chairs
        ]

    @property
    def number(self) -> int:
        return self.prefix_index + 1

    @property
    def prefix_index(self) -> int:
        return int(self.prefix.rsplit("-", 1)[-1])

    def clean(self):
        cleaned = super().clean()
        choice = (cleaned.get("choice") or "").strip()
        if choice:
            raw_date, raw_time, raw_chair = (choice.split("|") + ["", "", ""])[:3]
            try:
                cleaned["date"] = dt.date.fromisoformat(raw_date.strip())
                cleaned["time"] = dt.time.fromisoformat(raw_time.strip()[:5])
            except ValueError:
                raise ValidationError(self._alternative_refused()) from None
            chair_id = raw_chair.strip()
            cleaned["chair"] = int(chair_id) if chair_id.isascii() and chair_id.isdigit() else None
            if cleaned["chair"] not in self.chairs:
                raise ValidationError(self._alternative_refused())
        elif cleaned.get("date") is None and "date" not in self.errors:
            self.add_error("date", _("Session %(n)s: enter a date.") % {"n": self.number})
        elif cleaned.get("time") is None and "time" not in self.errors:
            self.add_error("time", _("Session %(n)s: enter a start time.") % {"n": self.number})
        return cleaned

    def _alternative_refused(self) -> str:
        return _("Session %(n)s: choose one of the alternatives shown.") % {"n": self.number}

    def slot(self) -> tuple[dt.date, dt.time, Chair | None]:
        data = self.cleaned_data
        return data["date"], data["time"], self.chairs.get(data.get("chair"))


SlotFormSet = forms.formset_factory(
    SlotForm, extra=0, min_num=1, max_num=MAX_SLOTS, absolute_max=MAX_SLOTS, validate_max=True, validate_min=True
)
SLOT_PREFIX = "slot"


def slot_formset_from_post(data) -> SlotFormSet | None:
    """The proposal's rows as posted, or None when the page carried no proposal."""
    if f"{SLOT_PREFIX}-TOTAL_FORMS" not in data:
        return None
    return SlotFormSet(data, prefix=SLOT_PREFIX, form_kwargs={"chairs": list(Chair.objects.all())})


def slot_formset_for(plan) -> SlotFormSet:
    """Fresh rows for a plan's sessions, in the plan's order (it sorts them by date)."""
    initial = [
        {"date": s.day, "time": s.start_time, "chair": s.requested_chair.pk if s.requested_chair else None}
        for s in plan.sessions
    ]
    chairs = plan.clinic.chairs if plan.clinic is not None else list(Chair.objects.all())
    return SlotFormSet(initial=initial, prefix=SLOT_PREFIX, form_kwargs={"chairs": chairs})


class RegisterPatientForm(PatientDetailsForm):
    """A patient's details, as front desk edits them, and whether to invite them."""

    invite = forms.BooleanField(
        label=_("Email them an invitation to the patient portal"), required=False,
        help_text=_("Needs an email address. The link works once and expires."),
    )


class OnePageForm(AccessibleFormMixin, CleanTextMixin, forms.Form):
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


class DateJumpForm(AccessibleFormMixin, forms.Form):
    date = forms.DateField(label=_("Go to date"), widget=DateInput())


# --- The chair board ----------------------------------------------------------------------

YES_NO = [("", _("Choose")), ("yes", _("Yes")), ("no", _("No"))]


class BoardStepForm(CleanTextMixin, forms.Form):
    """One step of the day on the chair board: the time it happened (clinic wall clock, on the
    session's day); empty means now."""

    time = forms.TimeField(label=_("Time"), required=False, widget=TimeInput())

    def at(self, *, day: dt.date, tz, now: dt.datetime) -> dt.datetime | None:
        value = self.cleaned_data.get("time")
        if value is None:
            return None
        # Whole minutes, as typed: a step recorded "now" is on the minute too, so two steps in
        # the same minute compare as staff see them.
        moment = dt.datetime.combine(day, value.replace(second=0, microsecond=0), tzinfo=tz)
        floor = now.astimezone(tz).replace(second=0, microsecond=0)
        return floor if moment == floor else moment

    def service_kwargs(self) -> dict:
        return {}


class BoardArrivalForm(BoardStepForm):
    bladder_emptied = forms.ChoiceField(label=_("Bladder emptied?"), choices=YES_NO)
    no_alcohol_or_drugs = forms.ChoiceField(
        label=_("No alcohol or recreational drugs in the last 12 hours?"), choices=YES_NO
    )
    ride_home_name = forms.CharField(label=_("Who takes them home"), max_length=100, required=False)
    ride_home_phone = forms.CharField(label=_("Their phone"), max_length=30, required=False)
    ride_home_may_text = forms.BooleanField(
        label=_("The patient agrees we text them when the patient is nearly ready"), required=False
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "bladder_emptied": data["bladder_emptied"] == "yes",
            "no_alcohol_or_drugs": data["no_alcohol_or_drugs"] == "yes",
            "ride_home_name": data["ride_home_name"],
            "ride_home_phone": data["ride_home_phone"],
            "ride_home_may_text": data["ride_home_may_text"],
        }
class ClosedDayForm(CleanTextMixin, forms.Form):
    date = forms.DateField(label=_("Day the clinic is closed"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=200, required=False,
        help_text=_("For example: Thanksgiving Day, staff training."),
    )
