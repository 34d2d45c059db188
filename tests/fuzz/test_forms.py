"""Hypothesis posts into every form of the portal: arbitrary text, huge strings,
unicode, NUL bytes, missing and repeated fields. Never a 500, and a refused post
writes nothing (tests/fuzz/conftest.py: post_and_check)."""

from urllib.parse import quote

from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st

from screening.services import checklist_version_current
from tests.fuzz.helpers import FUZZ, form, junk_text, post_and_check, rolled_back
from tests.security.world import MONDAY

dates = st.sampled_from(["2026-12-07", "2026-12-08", "2026-12-28", "2027-01-04", "2026-11-27", "2025-01-01"])
times = st.sampled_from(["08:00", "10:00", "13:30", "17:00", "07:00"])
answers = st.sampled_from(["yes", "no", "unsure"])
scores = st.sampled_from(["0", "1", "2", "3"])
PASSWORD = st.sampled_from(["a-long-new-passphrase-9", "short", "password", ""])


def _walk_checklist(client):
    version = checklist_version_current()
    client.post("/screening/", {"action": "start"})
    for number, step in enumerate(version.steps(), start=1):
        data = {"action": "next"} | {item["code"]: "no" for item in step["conditions"]}
        assert client.post(f"/screening/step/{number}/", data).status_code == 302


@FUZZ
@given(data=st.data())
def test_screening_steps_never_fail(world, data):
    client = world.client("anonymous")
    steps = checklist_version_current().steps()
    number = data.draw(st.sampled_from([1, len(steps)]))
    fields = {item["code"]: answers for item in steps[number - 1]["conditions"]}
    fields["action"] = st.sampled_from(["next", "back", "start", "restart"])
    with rolled_back():
        post_and_check(client, "/screening/", data.draw(form({"action": st.sampled_from(["start", "restart"])})))
        post_and_check(client, f"/screening/step/{number}/", data.draw(form(fields)))


SEND_FIELDS = {
    "first_name": st.just("Carol"), "last_name": st.just("Cruz"), "email": st.just("carol@example.com"),
    "phone": st.just("(555) 010-0199"), "date_of_birth": st.just("1980-03-21"), "consent": st.just("on"),
}


@FUZZ
@given(data=form(SEND_FIELDS), signed_in=st.booleans())
def test_sending_the_screening_never_fails(world, data, signed_in):
    client = world.client("patient" if signed_in else "anonymous")
    _walk_checklist(client)
    with rolled_back():
        cache.clear()  # the hourly limit on anonymous sends would hide the form behind a 429
        post_and_check(client, "/screening/send/", data)


BOOKING_FIELDS = {
    "patient": st.sampled_from(["ALICE", "BOB", "0", "-1"]),
    "first_day": dates, "sessions_per_week": st.sampled_from(["2", "3", "4", "0"]),
    "weeks": st.sampled_from(["1", "2", "6", "7"]), "start_time": times,
    "weekdays": st.lists(st.sampled_from(["0", "1", "2", "3", "4", "5", "6", "9"]), max_size=4),
    "action": st.sampled_from(["propose", "update", "book"]),
    "slot-TOTAL_FORMS": st.sampled_from(["0", "1", "2", "18", "1000", "-5", "x"]),
    "slot-INITIAL_FORMS": st.sampled_from(["0", "1", "x"]),
    "slot-0-date": dates, "slot-0-time": times, "slot-0-chair": st.sampled_from(["1", "0", "999999", "x"]),
    "slot-0-choice": st.sampled_from(["2026-12-08|10:00|1", "x|y|z", "|||", "2026-12-08", "2026-12-08|10:00|99999999999999"]),
    "slot-1-date": dates, "slot-1-time": times,
}


@FUZZ
@given(data=form(BOOKING_FIELDS))
def test_the_booking_form_never_fails(world, data):
    client = world.client("front_desk")
    ids = {"ALICE": str(world.alice.pk), "BOB": str(world.bob.pk)}
    if isinstance(data.get("patient"), str):
        data["patient"] = ids.get(data["patient"], data["patient"])
    with rolled_back():
        post_and_check(client, "/staff/book/", data)


REGISTER_FIELDS = {
    "first_name": st.just("Dora"), "last_name": st.just("Diaz"), "email": st.sampled_from(["dora@example.com", ""]),
    "phone": st.sampled_from(["(555) 010-0123", ""]), "date_of_birth": st.sampled_from(["1970-01-01", "2030-01-01"]),
    "invite": st.sampled_from(["on", ""]),
}


@FUZZ
@given(data=form(REGISTER_FIELDS))
def test_registering_a_patient_never_fails(world, data):
    with rolled_back():
        post_and_check(world.client("front_desk"), "/staff/patients/register/", data)


SESSION_FORMS = {
    "cancel": {"reason": junk_text},
    "reschedule": {"day": dates, "start_time": times, "chair": st.sampled_from(["1", "2", "0", "abc"]),
                   "reason": st.just("Asked by phone")},
    "mark": {"status": st.sampled_from(["attended", "no_show", "cancelled", "booked", "x"]), "reason": junk_text},
}


@FUZZ
@given(data=st.data())
def test_the_session_change_forms_never_fail(world, data):
    action = data.draw(st.sampled_from(sorted(SESSION_FORMS)))
    url = f"/staff/sessions/{world.session.pk}/{action}/"
    with rolled_back():
        post_and_check(world.client("front_desk"), url, data.draw(form(SESSION_FORMS[action])))
        post_and_check(
            world.client("clinician"), f"/staff/courses/{world.course.pk}/cancel-rest/",
            data.draw(form({"reason": st.just("Course stopped")})),
        )


PHQ9_FIELDS = {f"item{n}": scores for n in range(1, 10)}


@FUZZ
@given(data=form(PHQ9_FIELDS), at_review_point=st.booleans())
def test_the_phq9_form_never_fails(world, data, at_review_point):
    if at_review_point:
        client, url = world.client("patient"), f"/symptoms/answer/{world.review_session.pk}/"
    else:
        client, url = world.client("other_patient"), "/symptoms/answer/"
    with rolled_back():
        post_and_check(client, url, data)


@FUZZ
@given(decision=form({"decision": st.sampled_from(["cleared", "not_suitable", "more_info"]), "note": junk_text}),
       alert=form({"note": st.just("Called the patient.")}))
def test_the_clearance_decision_and_alert_review_forms_never_fail(world, decision, alert):
    client = world.client("clinician")
    with rolled_back():
        post_and_check(client, f"/screening/{world.screening.pk}/decide/", decision)
        post_and_check(client, f"/symptoms/alerts/{world.alert.pk}/review/", alert)


CONSENT_FIELDS = {"signed_name": st.sampled_from(["Bob Baker", "Carol Cruz", " bob  BAKER "]), "agree": st.just("on")}


@FUZZ
@given(patient_form=form(CONSENT_FIELDS), tablet_form=form(CONSENT_FIELDS))
def test_the_consent_signature_forms_never_fail(world, patient_form, tablet_form):
    with rolled_back():
        post_and_check(world.client("other_patient"), "/screening/consent/", patient_form)
        post_and_check(world.client("front_desk"), f"/screening/consent/patient/{world.carol.pk}/sign/", tablet_form)


@FUZZ
@given(data=form({"preferred_channel": st.sampled_from(["email", "sms", ""])}))
def test_the_channel_preference_never_fails(world, data):
    with rolled_back():
        post_and_check(world.client("patient"), "/me/channel/", data)


@FUZZ
@given(data=form({"password1": PASSWORD, "password2": PASSWORD}), token=st.one_of(st.just("REAL"), junk_text))
def test_accepting_an_invitation_never_fails(world, data, token):
    token = world.invitation_token if token == "REAL" else quote(token, safe="") or "x"
    with rolled_back():
        post_and_check(world.client("anonymous"), f"/accounts/invite/{token}/", data)


@FUZZ
@given(login=form({"username": st.sampled_from(["alice@example.com", "nobody@example.com"]), "password": PASSWORD}),
       reset=form({"email": st.sampled_from(["alice@example.com", "nobody@example.com"])}),
       new=form({"new_password1": PASSWORD, "new_password2": PASSWORD}))
def test_sign_in_and_password_reset_never_fail(world, login, reset, new):
    client = world.client("anonymous")
    with rolled_back():
        post_and_check(client, "/accounts/login/", login)
        post_and_check(client, "/accounts/password_reset/", reset)
        response = client.get(f"/accounts/reset/{world.reset_uid}/{world.reset_token}/")
        if response.status_code == 302:
            post_and_check(client, response["Location"], new)


@FUZZ
@given(value=junk_text, role=st.sampled_from(["front_desk", "clinician"]))
def test_addresses_and_query_strings_with_junk_never_fail(world, value, role):
    client = world.client(role)
    quoted = quote(value, safe="") or "x"
    with rolled_back():
        for url in (f"/staff/day/{quoted}/", f"/staff/week/{quoted}/", f"/calendar/{quoted}.ics",
                    f"/learn/{quoted}/"):
            assert client.get(url).status_code < 500, url
        for url in ("/staff/day/", "/staff/week/", "/staff/book/"):
            response = client.get(url, {"date": value, "patient": value})
            assert response.status_code < 500, url
        post_and_check(client, "/accounts/keepalive/", {"next": value})
    assert MONDAY  # the world's clock stays frozen on a Friday before it


@FUZZ
@given(code=st.one_of(junk_text, st.from_regex(r"\A[0-9 -]{0,12}\Z"), st.from_regex(r"\A[a-z2-7]{8}\Z")),
       with_app=st.booleans())
def test_the_two_step_sign_in_forms_never_fail(world, code, with_app):
    """Wrong codes may write only their throttling step and an audit line; nothing else."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.security.world import db_fingerprint, fingerprint_diff

    user = world.users["clinician"]
    with rolled_back():
        if with_app:
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        client = world.client("clinician")
        for url in ("/accounts/two-factor/verify/", "/accounts/two-factor/setup/"):
            before = db_fingerprint()
            response = client.post(url, {"code": code})
            assert response.status_code < 500, f"POST {url} {code!r}: {response.status_code}"
            if response.status_code == 200:
                changed = set(fingerprint_diff(before, db_fingerprint()))
                assert changed <= {"otp_totp_totpdevice", "otp_static_staticdevice", "portal_auditevent"}, changed
