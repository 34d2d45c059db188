from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from portal.clients import client_ip
from portal.form_errors import AccessibleFormMixin
from portal.throttle import throttle_hit, throttle_key
from portal.validators import CleanTextMixin


class EmailAuthenticationForm(AccessibleFormMixin, AuthenticationForm):
    # "That email and password do not match" is about both fields.
    non_field_error_fields = ("username", "password")
    error_messages = {
        "invalid_login": _(
            "That email and password do not match an account. Check them and try again, "
            "or reset your password."
        ),
        "inactive": _("This account is switched off. Please call the clinic."),
    }
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class InvitationAcceptForm(AccessibleFormMixin, CleanTextMixin, forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Avoid common words and your name."),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords are not the same. Type them again."))
        return cleaned


class ChannelForm(AccessibleFormMixin, forms.Form):
    preferred_channel = forms.ChoiceField(
        label=_("Send my reminders and notices by"),
        choices=[("email", _("Email")), ("sms", _("Text message"))],
        widget=forms.RadioSelect,
    )


class ThrottledPasswordResetForm(AccessibleFormMixin, PasswordResetForm):
    """Resets go out at most EMAILS_PER_ADDRESS_PER_HOUR times an hour to one address and
    PASSWORD_RESETS_PER_CLIENT_PER_HOUR times from one client. Past a limit nothing is sent and
    the page says what it always says, so the limit tells nobody whether an account exists."""

    def save(self, *args, request=None, **kwargs):
        limit = settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR
        if not throttle_hit(key=throttle_key("reset-client", client_ip(request) or ""), limit=limit):
            return None
        return super().save(*args, request=request, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        if throttle_hit(key=throttle_key("email", to_email), limit=settings.EMAILS_PER_ADDRESS_PER_HOUR):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, **kwargs)


class PatientSearchForm(forms.Form):
    # No max_length here: over-long text is answered by the search with a message, not a form error.
    q = forms.CharField(
        label=_("Find a patient"), required=False,
        help_text=_("Part of a name, an email, a phone number (any format) or a date of birth (such as 03/07/1984)."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PatientDetailsForm(AccessibleFormMixin, CleanTextMixin, forms.Form):
    """The front desk's own form for a patient's details (the rules are the service's)."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
class NewPasswordForm(AccessibleFormMixin, SetPasswordForm):
    """The new password after a reset link (Django's own rules and messages)."""
