"""Staff two-step sign-in: grace period, setting up an app, the code step, recovery codes."""

import datetime as dt
import re
from base64 import b32decode

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent, Patient, User
from portal.two_factor.devices import recovery_code_stored
from tests.factories import PASSWORD, UserFactory
from tests.race import failures, race

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def sign_in(client, user, next_url=""):
    return client.post("/accounts/login/", {"username": user.email, "password": PASSWORD, "next": next_url})


def past_grace(user):
    User.objects.filter(pk=user.pk).update(two_factor_required_from=timezone.now() - dt.timedelta(seconds=1))


def code_at(key_hex: str, moment: dt.datetime) -> str:
    generator = TOTP(bytes.fromhex(key_hex))
    generator.time = moment.timestamp()
    return f"{generator.token():06d}"


def key_from_page(html: str) -> str:
    shown = re.search(r"data-setup-key>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    return b32decode(shown + "=" * (-len(shown) % 8)).hex()


def with_app(user, moment=START) -> TOTPDevice:
    User.objects.filter(pk=user.pk).update(two_factor_required_from=moment - dt.timedelta(days=1))
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def with_codes(user, *codes) -> None:
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=recovery_code_stored(code))


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# --- grace period -------------------------------------------------------------------------------


def test_a_first_sign_in_starts_the_grace_period_and_the_dashboard_says_so(client, front_desk, traveller):
    response = sign_in(client, front_desk)
    front_desk.refresh_from_db()
    assert front_desk.two_factor_required_from == START + dt.timedelta(hours=72)
    page = client.get(response.url, follow=True)
    assert page.request["PATH_INFO"] == "/staff/"
    html = page.content.decode()
    assert 'data-two-factor="grace"' in html
    assert "within 3\xa0days" in html


def test_after_the_grace_period_staff_pages_lead_only_to_setting_up(client, clinician, traveller):
    sign_in(client, clinician)
    traveller.shift(dt.timedelta(hours=72, seconds=1))
    sign_in(client, clinician)  # the session itself ended long before
    for path in ("/staff/", "/admin/", "/accounts/password_change/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == f"/accounts/two-factor/setup/?next={path.replace('/', '%2F')}"
    assert "Not now" not in client.get("/accounts/two-factor/setup/").content.decode()


def test_a_post_held_at_the_second_step_changes_nothing(client, front_desk, traveller):
    sign_in(client, front_desk)
    with_app(front_desk)
    form = {"first_name": "Held", "last_name": "Back", "email": "held@example.com", "phone": ""}
    response = client.post("/staff/patients/register/", form)
    assert response.status_code == 302 and response.url == "/accounts/two-factor/verify/"
    assert not Patient.objects.filter(email="held@example.com").exists()


def test_no_grace_when_the_clinic_sets_it_to_zero(client, front_desk, settings, traveller):
    settings.STAFF_TWO_FACTOR_GRACE_HOURS = 0
    sign_in(client, front_desk)
    assert client.get("/staff/").url.startswith("/accounts/two-factor/setup/")


# --- setting up an app ---------------------------------------------------------------------------


def follow_setup_link(client, user):
    """Past the grace period: ask for the emailed link and follow it."""
    mail.outbox.clear()
    sent = client.post("/accounts/two-factor/setup/", {"action": "send-link"})
    assert sent.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"https?://\S+(/accounts/two-factor/setup/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(link).url == "/accounts/two-factor/setup/"
    return link


def test_past_the_grace_period_setting_up_starts_with_an_emailed_link(client, front_desk, traveller):
    sign_in(client, front_desk)
    past_grace(front_desk)
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert "Email me the set-up link" in page and "data-setup-key" not in page
    assert client.post("/accounts/two-factor/setup/", {"code": "123456"}).status_code == 200
    assert not TOTPDevice.objects.exists()
    link = follow_setup_link(client, front_desk)
    assert "data-setup-key" in client.get("/accounts/two-factor/setup/").content.decode()

    other = Client()  # the same link in another session (someone else with the password) opens nothing
    sign_in(other, front_desk)
    assert other.get(link).status_code == 400
    traveller.shift(dt.timedelta(hours=1, seconds=1))
    late = Client()
    sign_in(late, front_desk)
    assert late.get(link).status_code == 400, "links last an hour"
    assert AuditEvent.objects.filter(actor=front_desk, action="two_factor.setup_link_followed").count() == 1


def test_a_reset_voids_earlier_setup_links(client, front_desk, clinician, traveller):
    sign_in(client, front_desk)
    past_grace(front_desk)
    mail.outbox.clear()
    client.post("/accounts/two-factor/setup/", {"action": "send-link"})
    link = re.search(r"(/accounts/two-factor/setup/\S+/)", mail.outbox[0].body).group(1)
    traveller.shift(dt.timedelta(minutes=1))
    from portal.two_factor import services as two_factor

    two_factor.reset(user=front_desk, by=clinician)
    assert client.get(link).status_code == 400
    assert client.get("/accounts/two-factor/setup/x/").status_code == 400


def test_setting_up_an_app_turns_it_on_and_shows_recovery_codes_once(client, front_desk, traveller):
    sign_in(client, front_desk)
    past_grace(front_desk)
    follow_setup_link(client, front_desk)
    page = client.get("/accounts/two-factor/setup/?next=/staff/")
    html = page.content.decode()
    assert '<svg role="img" aria-label="QR code' in html
    assert not TOTPDevice.objects.exists(), "showing the page saves nothing"
    key = key_from_page(html)
    assert key_from_page(client.get("/accounts/two-factor/setup/").content.decode()) == key, "a reload keeps the key"

    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000", "next": "/staff/"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert 'aria-invalid="true"' in wrong.content.decode()
    assert not TOTPDevice.objects.exists()

    done = client.post("/accounts/two-factor/setup/", {"code": code_at(key, START), "next": "/staff/"})
    assert done.status_code == 302 and done.url == "/accounts/two-factor/recovery-codes/?next=%2Fstaff%2F"
    device = TOTPDevice.objects.get(user=front_desk)
    assert device.confirmed and device.key == key
    codes_page = client.get(done.url).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    stored = StaticToken.objects.filter(device__user=front_desk).values_list("token", flat=True)
    assert sorted(map(recovery_code_stored, codes)) == sorted(stored)
    assert not set(codes) & set(stored), "the database never holds a usable code"
    assert client.get("/accounts/two-factor/recovery-codes/").url == "/accounts/two-factor/", "shown once"
    assert client.get("/staff/").status_code == 200
    front_desk.refresh_from_db()
    assert front_desk.two_factor_required_from <= START, "from now on every sign-in asks for a code"
    assert AuditEvent.objects.filter(actor=front_desk, action="two_factor.app_set_up").count() == 1


def test_setting_up_early_ends_the_grace_period_at_once(client, front_desk, traveller):
    sign_in(client, front_desk)
    key = key_from_page(client.get("/accounts/two-factor/setup/").content.decode())
    client.post("/accounts/two-factor/setup/", {"code": code_at(key, START)})
    front_desk.refresh_from_db()
    assert front_desk.two_factor_required_from == START


def test_the_setup_code_cannot_be_used_again_to_sign_in(client, front_desk, traveller):
    sign_in(client, front_desk)
    key = key_from_page(client.get("/accounts/two-factor/setup/").content.decode())
    code = code_at(key, START)
    client.post("/accounts/two-factor/setup/", {"code": code})
    client.post("/accounts/logout/")
    traveller.shift(dt.timedelta(seconds=5))
    sign_in(client, front_desk)
    response = client.post("/accounts/two-factor/verify/", {"code": code})
    assert response.status_code == 200 and "not right" in response.content.decode()


def test_a_new_phone_replaces_the_old_app(client, clinician, traveller, django_capture_on_commit_callbacks):
    old = with_app(clinician)
    sign_in(client, clinician)
    client.post("/accounts/two-factor/verify/", {"code": code_at(old.key, START)})
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert "Move two-step sign-in to a new app" in page
    key = key_from_page(page)
    traveller.shift(dt.timedelta(seconds=30))
    code = code_at(key, START + dt.timedelta(seconds=30))
    refused = client.post("/accounts/two-factor/setup/", {"code": code, "password": "not-it"})
    assert refused.status_code == 200 and "That password is not right" in refused.content.decode()
    assert list(TOTPDevice.objects.filter(user=clinician).values_list("key", flat=True)) == [old.key]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/two-factor/setup/", {"code": code, "password": PASSWORD})
    assert list(TOTPDevice.objects.filter(user=clinician).values_list("key", flat=True)) == [key]
    assert AuditEvent.objects.filter(actor=clinician, action="two_factor.app_replaced").exists()
    assert [m.to for m in mail.outbox] == [[clinician.email]]
    assert "your sign-in app was changed" in mail.outbox[0].subject


# --- the code step at sign-in ------------------------------------------------------------------


def test_with_an_app_every_sign_in_asks_for_a_code(client, clinician, traveller):
    device = with_app(clinician)
    response = sign_in(client, clinician, next_url="/staff/")
    assert response.url == "/staff/"
    held = client.get("/staff/")
    assert held.url == "/accounts/two-factor/verify/?next=%2Fstaff%2F"
    assert client.get("/screening/").status_code == 302, "every page waits for the code"
    page = client.get(held.url).content.decode()
    assert 'autocomplete="one-time-code"' in page

    wrong = client.post("/accounts/two-factor/verify/", {"code": "123456", "next": "/staff/"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    traveller.shift(dt.timedelta(seconds=2))  # the throttle's one-second wait
    ok = client.post("/accounts/two-factor/verify/", {"code": code_at(device.key, START), "next": "/staff/"})
    assert ok.status_code == 302 and ok.url == "/staff/"
    assert client.get("/staff/").status_code == 200
    actions = list(AuditEvent.objects.filter(actor=clinician).order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["two_factor.failed", "two_factor.verified"]


def test_wrong_codes_make_the_next_try_wait(client, clinician, traveller):
    device = with_app(clinician)
    sign_in(client, clinician)
    for _n in range(3):
        client.post("/accounts/two-factor/verify/", {"code": "000000"})
    # Three failures in the same second: the third was refused unchecked; the right code waits too.
    response = client.post("/accounts/two-factor/verify/", {"code": code_at(device.key, START)})
    assert response.status_code == 200
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert client.get("/staff/").status_code == 302
    traveller.shift(dt.timedelta(seconds=5))
    assert client.post("/accounts/two-factor/verify/", {"code": code_at(device.key, START)}).status_code == 302


def test_a_recovery_code_works_once(client, front_desk, traveller):
    with_app(front_desk)
    with_codes(front_desk, "abcdefgh", "ijklmnop")
    sign_in(client, front_desk)
    response = client.post("/accounts/two-factor/verify/", {"code": "ABCD EFGH", "next": "/staff/"}, follow=True)
    assert response.request["PATH_INFO"] == "/staff/"
    assert "You used a recovery code. 1 are left" in response.content.decode()
    client.post("/accounts/logout/")
    traveller.shift(dt.timedelta(minutes=1))
    sign_in(client, front_desk)
    again = client.post("/accounts/two-factor/verify/", {"code": "abcdefgh"})
    assert again.status_code == 200 and "not right" in again.content.decode()


def test_new_recovery_codes_replace_the_old_ones(client, front_desk, traveller):
    with_app(front_desk)
    with_codes(front_desk, "abcdefgh")
    sign_in(client, front_desk)
    client.post("/accounts/two-factor/verify/", {"code": "abcdefgh"})
    with_codes(front_desk, "qrstuvwx")
    refused = client.post("/accounts/two-factor/recovery-codes/", {"password": "wrong"})
    assert refused.status_code == 400 and "That password is not right" in refused.content.decode()
    assert list(StaticToken.objects.filter(device__user=front_desk).values_list("token", flat=True)) == [
        recovery_code_stored("qrstuvwx")
    ]
    response = client.post("/accounts/two-factor/recovery-codes/", {"password": PASSWORD})
    assert response.url == "/accounts/two-factor/recovery-codes/"
    codes = re.findall(r"<code>([a-z2-7]{8})</code>", client.get(response.url).content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=front_desk).values_list("token", flat=True)) == {
        recovery_code_stored(code) for code in codes
    }


def test_making_new_codes_needs_a_verified_session(client, front_desk, traveller):
    sign_in(client, front_desk)  # in the grace period, not verified
    response = client.post("/accounts/two-factor/recovery-codes/")
    assert response.url.startswith("/accounts/two-factor/verify/")
    assert not StaticToken.objects.exists()


def test_the_next_address_never_leaves_the_site(client, clinician, traveller):
    device = with_app(clinician)
    sign_in(client, clinician)
    response = client.post(
        "/accounts/two-factor/verify/", {"code": code_at(device.key, START), "next": "https://evil.example/"}
    )
    assert response.url == "/accounts/after-login/"


def test_a_superuser_needs_the_second_step_for_the_admin(client, db, traveller):
    admin = UserFactory(email="root@clinic.example", is_superuser=True, is_staff=True)
    with_app(admin)
    sign_in(client, admin)
    assert client.get("/admin/").url == "/accounts/two-factor/verify/?next=%2Fadmin%2F"


def test_signing_out_ends_the_verified_session(client, clinician, traveller):
    device = with_app(clinician)
    sign_in(client, clinician)
    client.post("/accounts/two-factor/verify/", {"code": code_at(device.key, START)})
    client.post("/accounts/logout/")
    sign_in(client, clinician)
    assert client.get("/staff/").url.startswith("/accounts/two-factor/verify/")


# --- patients ------------------------------------------------------------------------------------


def test_patients_are_not_asked_and_cannot_open_the_pages(client, patient, traveller):
    sign_in(client, patient.user)
    assert client.get("/me/").status_code == 200
    for path in ("/accounts/two-factor/", "/accounts/two-factor/verify/", "/accounts/two-factor/setup/"):
        assert client.get(path).status_code == 404
    patient.user.refresh_from_db()
    assert patient.user.two_factor_required_from is None


@pytest.mark.parametrize("code", ["", " ", "x" * 41, "12345\x00", "１２３４５６", "'; DROP TABLE x;--"])
def test_junk_codes_get_a_message_not_an_error(client, clinician, traveller, code):
    with_app(clinician)
    sign_in(client, clinician)
    response = client.post("/accounts/two-factor/verify/", {"code": code})
    assert response.status_code == 200
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    response = client.post("/accounts/two-factor/setup/", {"code": code})
    assert response.status_code in (200, 302)


# --- review findings -----------------------------------------------------------------------------


def test_an_admin_account_without_a_clinic_role_needs_it_too(client, db, patient, traveller):
    from django.contrib.auth.models import Permission

    manager = UserFactory(email="manager@clinic.example", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="view_patient"))
    sign_in(client, manager)
    User.objects.filter(pk=manager.pk).update(two_factor_required_from=START - dt.timedelta(seconds=1))
    response = client.get("/admin/portal/patient/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/setup/")


def test_the_second_step_gives_the_session_a_new_key(client, clinician, traveller):
    device = with_app(clinician)
    sign_in(client, clinician)
    planted = client.cookies["__Host-sessionid"].value
    client.post("/accounts/two-factor/verify/", {"code": code_at(device.key, START)})
    assert client.cookies["__Host-sessionid"].value != planted
    attacker = Client()
    attacker.cookies["__Host-sessionid"] = planted
    assert attacker.get("/staff/").status_code == 302, "the half-signed-in session is worth nothing now"


def test_an_account_never_signed_in_with_an_app_is_asked_for_a_code(client, clinician, traveller):
    TOTPDevice.objects.create(user=clinician, name="Authenticator app", confirmed=True)
    client.force_login(clinician)
    User.objects.filter(pk=clinician.pk).update(two_factor_required_from=None)
    assert client.get("/staff/").url.startswith("/accounts/two-factor/verify/")


def test_wrong_codes_in_a_row_are_emailed_to_the_owner(
    client, clinician, traveller, django_capture_on_commit_callbacks
):
    with_app(clinician)
    sign_in(client, clinician)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _n in range(5):
            client.post("/accounts/two-factor/verify/", {"code": "000000"})
            traveller.shift(dt.timedelta(seconds=20))
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [clinician.email]
    assert mail.outbox[0].subject.endswith(": wrong sign-in codes")
    assert "5 wrong sign-in codes in a row" in mail.outbox[0].body
    assert AuditEvent.objects.filter(actor=clinician, action="two_factor.failed").count() == 5


def test_an_administrator_resets_a_lost_phone(traveller, admin_client, clinician, django_capture_on_commit_callbacks):
    device = with_app(clinician)
    with_codes(clinician, "abcdefgh")
    admin = User.objects.get(email="admin@example.com")
    TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)
    admin_client.get("/")  # the admin's own session
    session = admin_client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=admin).persistent_id
    session.save()
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode(), "the admin never shows an app's key"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/portal/user/", {"action": "two_factor_reset", "_selected_action": [clinician.pk]}
        )
    assert response.status_code == 302 and response.url == "/admin/portal/user/"
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not StaticDevice.objects.filter(user=clinician).exists()
    assert AuditEvent.objects.filter(actor=admin, action="two_factor.reset", object_id=str(clinician.pk)).exists()
    assert any(m.to == [clinician.email] and "reset" in m.subject for m in mail.outbox)
    other = Client()
    sign_in(other, clinician)
    assert other.get("/staff/").url.startswith("/accounts/two-factor/setup/"), "no grace after a reset"


@pytest.mark.django_db(transaction=True)
def test_two_set_ups_at_once_leave_one_app(front_desk):
    clients, codes = [], []
    for _n in range(2):
        each = Client()
        sign_in(each, front_desk)
        key = key_from_page(each.get("/accounts/two-factor/setup/").content.decode())
        clients.append(each)
        codes.append(code_at(key, timezone.now()))

    def confirm(each, code):
        return each.post("/accounts/two-factor/setup/", {"code": code})

    outcomes = race(confirm, zip(clients, codes, strict=True))
    assert failures(outcomes) == []
    assert TOTPDevice.objects.filter(user=front_desk).count() == 1
