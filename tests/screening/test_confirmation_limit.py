"""Security review #8: a screening's confirmation email goes to whatever address was typed;
one address gets at most EMAILS_PER_ADDRESS_PER_HOUR of them an hour."""

from django.core import mail

from tests.screening.helpers import CONTACT, walk_checklist


def test_screening_confirmations_to_one_address_are_limited(client, all_no, settings, django_capture_on_commit_callbacks):
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 1
    settings.SCREENING_SUBMISSIONS_PER_HOUR = 100
    for _ in range(3):
        walk_checklist(client, all_no)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/screening/send/", CONTACT | {"consent": "on"})
    confirmations = [m for m in mail.outbox if "received your form" in m.subject]
    assert len(confirmations) == 1
