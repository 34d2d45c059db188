"""What a lock screen or a shared calendar shows of a message: the sender and subject name
(settings.CLINIC_MESSAGE_NAME), never the treatment, the patient or a health matter (issue 16).
Every email subject, text message's first line and calendar title is made here."""

from django.conf import settings
from django.utils.translation import gettext as _


def subject(text: str = "") -> str:
    """"Riverside Clinic: Appointment reminder"; without `text`, "A message from Riverside Clinic"."""
    name = settings.CLINIC_MESSAGE_NAME
    return f"{name}: {text}" if text else _("A message from %(name)s") % {"name": name}


def text_message(body: str) -> str:
    """A text message whose first line (what a locked phone shows) names only the clinic; the body
    follows after a blank line, read once the phone is open."""
    return f"{subject()}\n\n{body.strip()}"


def calendar_title(*, cancelled: bool = False) -> str:
    title = _("Appointment at %(name)s") % {"name": settings.CLINIC_MESSAGE_NAME}
    return _("Cancelled: %(title)s") % {"title": title} if cancelled else title


def calendar_name() -> str:
    return _("%(name)s appointments") % {"name": settings.CLINIC_MESSAGE_NAME}
