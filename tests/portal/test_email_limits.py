"""Security review #8: anyone could make the clinic email any address again and again
(password resets, screening confirmations). Each address, and each client, gets a few an
hour; past that nothing is sent and the page says what it always says."""

from django.core import mail


def _reset(client, email, address="198.51.100.1"):
    return client.post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=address)


def test_resets_to_one_address_stop_quietly_after_the_hourly_limit(client, patient, settings):
    settings.EMAILS_PER_ADDRESS_PER_HOUR = 2
    pages = [_reset(client, patient.email, f"198.51.100.{n}") for n in range(4)]
    assert len(mail.outbox) == 2
    # Same answer every time, sent or not: the limit reveals nothing.
    assert {page.status_code for page in pages} == {302}
    assert {page["Location"] for page in pages} == {"/accounts/password_reset/done/"}


def test_one_client_cannot_spray_resets_over_many_addresses(client, settings, patient, other_patient):
    settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR = 1
    _reset(client, patient.email)
    response = _reset(client, other_patient.email)
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[patient.email]]
    # Another client still gets its reset.
    _reset(client, other_patient.email, "198.51.100.77")
    assert [message.to for message in mail.outbox][-1] == [other_patient.email]


def test_an_unknown_address_gets_the_same_page(client, db):
    response = _reset(client, "nobody@example.com")
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []
