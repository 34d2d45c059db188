"""One form per intake step. The forms read what was typed; screening.intake checks it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import DateInput
from portal.validators import CleanTextMixin
from screening.models import Intake

DAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday"))]
# No max_length on the text fields: the service answers an over-long text with its own message.


class ReasonsForm(CleanTextMixin, forms.Form):
    title = _("Why you want treatment")
    reasons = forms.MultipleChoiceField(
        label=_("What would you like help with?"), choices=Intake.Reason.choices, widget=forms.CheckboxSelectMultiple,
        required=False, help_text=_("Choose all that fit."),
    )
    reason_other = forms.CharField(label=_("If something else, what is it?"), required=False)
    how_long = forms.ChoiceField(
        label=_("How long has this troubled you?"), choices=[("", _("Choose one"))] + Intake.HowLong.choices,
        required=False,
    )
    date_of_birth = forms.DateField(label=_("Your date of birth"), required=False, widget=DateInput())


class TreatmentsForm(CleanTextMixin, forms.Form):
    title = _("Treatments you have tried")
    antidepressants_tried = forms.IntegerField(
        label=_("How many antidepressant medicines have you tried?"), required=False, min_value=0, max_value=30,
        help_text=_("Enter 0 if none."),
    )
    therapy = forms.BooleanField(label=_("I have had talking therapy"), required=False)
    ect_or_tms = forms.BooleanField(label=_("I have had ECT or TMS"), required=False)
    ketamine_before = forms.BooleanField(label=_("I have had ketamine or esketamine (Spravato) before"), required=False)


class MedicinesForm(CleanTextMixin, forms.Form):
    title = _("Medicines and allergies")
    medicines = forms.CharField(
        label=_("Medicines you take now"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, with the dose if you know it. Include vitamins and herbal products. "
                    "Example: sertraline 100 mg once a day."),
    )
    allergies = forms.CharField(
        label=_("Allergies"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Medicines, foods or anything else. Write “none” if you have none."),
    )


class PeopleForm(CleanTextMixin, forms.Form):
    title = _("Emergency contact and ride home")
    emergency_name = forms.CharField(label=_("Emergency contact: name"), required=False)
    emergency_phone = forms.CharField(label=_("Emergency contact: phone"), required=False)
    emergency_relationship = forms.CharField(label=_("How they know you (for example, partner)"), required=False)
    ride_name = forms.CharField(
        label=_("Who usually drives you home: name"), required=False,
        help_text=_("You cannot drive after an infusion. Someone must take you home."),
    )
    ride_phone = forms.CharField(label=_("Who usually drives you home: phone"), required=False)


class VisitsForm(CleanTextMixin, forms.Form):
    title = _("When you can come")
    preferred_days = forms.TypedMultipleChoiceField(
        label=_("Days that suit you"), choices=DAYS, coerce=int, widget=forms.CheckboxSelectMultiple, required=False,
    )
    preferred_times = forms.ChoiceField(
        label=_("Times that suit you"), choices=[("", _("Choose one"))] + Intake.Times.choices, required=False,
    )
    access_needs = forms.CharField(
        label=_("Anything that would make your visit easier"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: a wheelchair, a hearing loop, or help with forms."),
    )
    language = forms.CharField(label=_("Language you prefer to speak"), required=False)


STEP_FORMS = {
    "reasons": ReasonsForm, "treatments": TreatmentsForm, "medicines": MedicinesForm,
    "people": PeopleForm, "visits": VisitsForm,
}
