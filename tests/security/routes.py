"""What every URL pattern of the project is, and who may use it.

Each route (as written in urls.py) maps to a Route: how to build its address from
the World, whether it is a GET page, what a POST carries (data that would change
something if the view let the wrong user through), who gets through (`open_to`)
and who may see Alice's record there (`sees_alice`). Public pages carry the reason
they are public. A new URL pattern that is in neither table fails
tests/security/test_url_coverage.py, so nothing is left unchecked by accident.

Django admin patterns are covered as a family (tests/security/test_admin_access.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.security.world import EVERYONE, MONDAY, SIGNED_IN, STAFF, World

PATIENTS = frozenset({"patient", "other_patient"})
ALICE = frozenset({"patient"})
ALICE_AND_STAFF = frozenset({"patient"}) | STAFF
CLINICIAN = frozenset({"clinician"})
NOBODY = frozenset()


@dataclass(frozen=True)
class Route:
    url: Callable[[World], str]
    get: bool = True
    post: Callable[[World], dict] | None = None
    open_to: frozenset = NOBODY
    sees_alice: frozenset = NOBODY
    public: str = ""  # why anyone may use it
    get_status: frozenset = field(default_factory=lambda: frozenset({200, 301, 302}))


def _phq9(answer: str = "1") -> dict:
    return {f"item{n}": answer for n in range(1, 10)}


ROUTES: dict[str, Route] = {
    # --- Public pages ---------------------------------------------------------------
    "screening/symptoms/^(?P<rest>.*)$": Route(
        lambda w: f"/screening/symptoms/{w.review.pk}/?from=email", open_to=EVERYONE, post=lambda w: _phq9(),
        public="a permanent redirect to the same address under /symptoms/, where access is checked",
    ),
    "": Route(lambda w: "/", open_to=EVERYONE, public="the home page"),
    "healthz": Route(lambda w: "/healthz", open_to=EVERYONE, public="load balancers probe it"),
    "favicon.ico": Route(lambda w: "/favicon.ico", open_to=EVERYONE, public="browsers ask for it"),
    "accounts/login/": Route(
        lambda w: "/accounts/login/", open_to=EVERYONE, public="the sign-in page",
        post=lambda w: {"username": "alice@example.com", "password": "wrong"},
    ),
    "accounts/logout/": Route(
        lambda w: "/accounts/logout/", get=False, open_to=EVERYONE, public="signing out needs no rights",
        post=lambda w: {},
    ),
    "accounts/keepalive/": Route(
        lambda w: "/accounts/keepalive/", get=False, open_to=EVERYONE,
        public="resets the idle clock of whoever is signed in; anonymous visitors are sent to sign in",
        post=lambda w: {"next": "/"},
    ),
    "accounts/invite/<str:token>/": Route(
        lambda w: f"/accounts/invite/{w.invitation_token}/", open_to=EVERYONE,
        public="the one-time token is the key; a wrong token is a 404 (test_url_access)",
        post=lambda w: {"password1": "a-long-new-passphrase-9", "password2": "a-long-new-passphrase-9"},
    ),
    "accounts/password_reset/": Route(
        lambda w: "/accounts/password_reset/", open_to=EVERYONE, public="anyone may ask for a reset email",
        post=lambda w: {"email": "alice@example.com"},
    ),
    "accounts/password_reset/done/": Route(
        lambda w: "/accounts/password_reset/done/", open_to=EVERYONE, public="says the email is on its way",
    ),
    "accounts/reset/<uidb64>/<token>/": Route(
        lambda w: f"/accounts/reset/{w.reset_uid}/{w.reset_token}/", open_to=EVERYONE,
        public="the emailed token is the key",
        post=lambda w: {"new_password1": "a-long-new-passphrase-9", "new_password2": "a-long-new-passphrase-9"},
    ),
    "accounts/reset/done/": Route(lambda w: "/accounts/reset/done/", open_to=EVERYONE, public="says it is done"),
    "learn/": Route(lambda w: "/learn/", open_to=EVERYONE, public="patient education"),
    "learn/<slug:slug>/": Route(lambda w: f"/learn/{w.guide_slug}/", open_to=EVERYONE, public="patient education"),
    "screening/": Route(
        lambda w: "/screening/", open_to=EVERYONE, public="self-screening needs no account",
        post=lambda w: {"action": "start"},
    ),
    "screening/step/<int:number>/": Route(
        lambda w: "/screening/step/1/", open_to=EVERYONE, public="self-screening needs no account",
        post=lambda w: {"action": "next"},
    ),
    "screening/result/": Route(
        lambda w: "/screening/result/", open_to=EVERYONE, public="the visitor's own answers, from their session",
    ),
    "screening/send/": Route(
        lambda w: "/screening/send/", open_to=EVERYONE, public="sends the visitor's own answers, with consent",
        post=lambda w: {"first_name": "Mallory", "last_name": "M", "email": "m@example.com", "consent": "on"},
    ),
    "screening/sent/": Route(
        lambda w: "/screening/sent/", open_to=EVERYONE, public="confirms the visitor's own screening (session-bound)",
    ),
    "screening/confirm/<str:token>/": Route(
        lambda w: "/screening/confirm/not-a-real-link/", open_to=EVERYONE, get_status=frozenset({404}),
        post=lambda w: {}, public="the one-time link emailed to an address's owner is the key; a wrong one is a 404",
    ),
    "calendar/<str:token>.ics": Route(
        lambda w: f"/calendar/{w.calendar_token}.ics", open_to=EVERYONE, sees_alice=EVERYONE,
        public="calendar apps cannot sign in: the unguessable, revocable token is the key; a wrong one is a 404",
    ),
    "fhir/metadata": Route(
        lambda w: "/fhir/metadata", open_to=EVERYONE, public="the FHIR CapabilityStatement: what the API serves, no data",
    ),
    "fhir/<path:rest>": Route(
        lambda w: f"/fhir/Encounter?patient={w.alice.pk}", open_to=EVERYONE, get_status=frozenset({404}),
        public="anything the FHIR API does not serve: a 404 OperationOutcome, no data",
    ),
    # --- Any signed-in user -----------------------------------------------------------------
    "accounts/after-login/": Route(lambda w: "/accounts/after-login/", open_to=SIGNED_IN),
    "accounts/password_change/": Route(
        lambda w: "/accounts/password_change/", open_to=SIGNED_IN,
        post=lambda w: {"old_password": "x", "new_password1": "a-long-new-passphrase-9",
                        "new_password2": "a-long-new-passphrase-9"},
    ),
    "accounts/password_change/done/": Route(lambda w: "/accounts/password_change/done/", open_to=SIGNED_IN),
    # --- Staff accounts' two-step sign-in (patients get a 404) ---------------------------------
    "accounts/two-factor/": Route(lambda w: "/accounts/two-factor/", open_to=STAFF),
    "accounts/two-factor/verify/": Route(
        lambda w: "/accounts/two-factor/verify/", open_to=STAFF, post=lambda w: {"code": "123456"},
    ),
    "accounts/two-factor/setup/": Route(
        lambda w: "/accounts/two-factor/setup/", open_to=STAFF, post=lambda w: {"code": "123456"},
    ),
    "accounts/two-factor/setup/<str:token>/": Route(
        lambda w: "/accounts/two-factor/setup/not-a-real-link/", open_to=STAFF,
        get_status=frozenset({200, 301, 302, 400}),
    ),
    "accounts/two-factor/recovery-codes/": Route(
        lambda w: "/accounts/two-factor/recovery-codes/", open_to=STAFF, post=lambda w: {},
    ),
    # --- The patient's own pages --------------------------------------------------------------
    "me/": Route(lambda w: "/me/", open_to=PATIENTS, sees_alice=ALICE),
    "me/channel/": Route(
        lambda w: "/me/channel/", get=False, open_to=PATIENTS, sees_alice=ALICE,
        post=lambda w: {"preferred_channel": "sms"},
    ),
    "me/intake/": Route(lambda w: "/me/intake/", open_to=PATIENTS, sees_alice=ALICE, post=lambda w: {}),
    "me/intake/<slug:name>/": Route(
        lambda w: "/me/intake/people/", open_to=PATIENTS, sees_alice=ALICE,
        post=lambda w: {"emergency_name": "Mallory", "emergency_phone": "(555) 010-0199"},
    ),
    "me/sessions/<int:pk>/": Route(lambda w: f"/me/sessions/{w.session.pk}/", open_to=ALICE, sees_alice=ALICE),
    "me/calendar.ics": Route(lambda w: "/me/calendar.ics", open_to=ALICE, sees_alice=ALICE),
    "me/courses/<int:pk>/calendar.ics": Route(
        lambda w: f"/me/courses/{w.course.pk}/calendar.ics", open_to=ALICE_AND_STAFF, sees_alice=ALICE_AND_STAFF,
    ),
    "me/calendar/subscription/": Route(
        lambda w: "/me/calendar/subscription/", get=False, open_to=PATIENTS, sees_alice=ALICE, post=lambda w: {},
    ),
    "me/calendar/subscription/stop/": Route(
        lambda w: "/me/calendar/subscription/stop/", get=False, open_to=PATIENTS, sees_alice=ALICE,
        post=lambda w: {},
    ),
    "me/courses/<int:pk>/subscription/stop/": Route(
        lambda w: f"/me/courses/{w.course.pk}/subscription/stop/", get=False, open_to=ALICE, sees_alice=ALICE,
        post=lambda w: {},
    ),
    "symptoms/": Route(lambda w: "/symptoms/", open_to=PATIENTS, sees_alice=ALICE),
    "symptoms/answer/": Route(
        lambda w: "/symptoms/answer/", open_to=PATIENTS, sees_alice=ALICE, post=lambda w: _phq9(),
    ),
    "symptoms/answer/<int:session_pk>/": Route(
        lambda w: f"/symptoms/answer/{w.review_session.pk}/", open_to=ALICE, sees_alice=ALICE,
        post=lambda w: _phq9(),
    ),
    "symptoms/<int:pk>/": Route(
        lambda w: f"/symptoms/{w.review.pk}/", open_to=ALICE, sees_alice=ALICE,
    ),
    "screening/consent/": Route(
        lambda w: "/screening/consent/", open_to=PATIENTS, sees_alice=ALICE,
        post=lambda w: {"signed_name": "Mallory Mint", "agree": "on"},
    ),
    "screening/consent/<int:pk>/": Route(
        lambda w: f"/screening/consent/{w.consent.pk}/", open_to=ALICE_AND_STAFF, sees_alice=ALICE_AND_STAFF,
    ),
    "screening/<int:pk>/": Route(
        lambda w: f"/screening/{w.screening.pk}/", open_to=ALICE_AND_STAFF, sees_alice=ALICE_AND_STAFF,
    ),
    # --- Clinicians only ----------------------------------------------------------------------
    "screening/<int:pk>/decide/": Route(
        lambda w: f"/screening/{w.screening.pk}/decide/", get=False, open_to=CLINICIAN, sees_alice=STAFF,
        post=lambda w: {"decision": "not_suitable", "note": "Refused by the security suite."},
    ),
    "symptoms/alerts/<int:pk>/contact/": Route(
        lambda w: f"/symptoms/alerts/{w.alert.pk}/contact/", get=False, open_to=CLINICIAN,
        sees_alice=STAFF, post=lambda w: {"outcome": "no_answer"},
    ),
    "symptoms/alerts/<int:pk>/review/": Route(
        lambda w: f"/symptoms/alerts/{w.alert.pk}/review/", get=False, open_to=CLINICIAN,
        sees_alice=STAFF, post=lambda w: {"note": "Called the patient."},
    ),
    # The FHIR API: clinicians (or a clinician's bearer token, tests/fhir_api); anonymous gets 401.
    "fhir/Patient/<str:pk>": Route(lambda w: f"/fhir/Patient/{w.alice.pk}", open_to=CLINICIAN, sees_alice=CLINICIAN),
    "fhir/QuestionnaireResponse": Route(
        lambda w: f"/fhir/QuestionnaireResponse?patient={w.alice.pk}", open_to=CLINICIAN, sees_alice=CLINICIAN,
    ),
    "fhir/Observation": Route(
        lambda w: f"/fhir/Observation?patient={w.alice.pk}", open_to=CLINICIAN, sees_alice=CLINICIAN,
    ),
    "fhir/Appointment": Route(
        lambda w: f"/fhir/Appointment?patient={w.alice.pk}", open_to=CLINICIAN, sees_alice=CLINICIAN,
    ),
    # --- Front desk and clinicians ----------------------------------------------------------
    "screening/<int:pk>/reconcile/": Route(
        lambda w: f"/screening/{w.screening.pk}/reconcile/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"same_person": "no"},
    ),
    "staff/": Route(lambda w: "/staff/", open_to=STAFF, sees_alice=STAFF),
    "staff/notifications/": Route(lambda w: "/staff/notifications/", open_to=STAFF, sees_alice=STAFF),
    "staff/notifications/patients/<int:patient_id>/": Route(
        lambda w: f"/staff/notifications/patients/{w.alice.pk}/", open_to=STAFF, sees_alice=STAFF,
    ),
    "staff/notifications/<int:pk>/resend/": Route(
        lambda w: f"/staff/notifications/{w.notification.pk}/resend/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {},
    ),
    "screening/consent/patient/<int:patient_pk>/sign/": Route(
        lambda w: f"/screening/consent/patient/{w.alice.pk}/sign/", open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"signed_name": "Alice Archer", "agree": "on"},
    ),
    "symptoms/patient/<int:patient_pk>/": Route(
        lambda w: f"/symptoms/patient/{w.alice.pk}/", open_to=STAFF, sees_alice=STAFF,
    ),
    "staff/book/": Route(
        lambda w: f"/staff/book/?patient={w.alice.pk}", open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {
            "patient": w.alice.pk, "first_day": (MONDAY + dt.timedelta(days=21)).isoformat(),
            "sessions_per_week": 2, "weeks": 1, "start_time": "13:00", "action": "book",
        },
    ),
    "staff/patients/": Route(lambda w: "/staff/patients/?q=archer", open_to=STAFF, sees_alice=STAFF),
    "staff/patients/<int:pk>/": Route(lambda w: f"/staff/patients/{w.alice.pk}/", open_to=STAFF, sees_alice=STAFF),
    "staff/patients/<int:pk>/edit/": Route(
        lambda w: f"/staff/patients/{w.alice.pk}/edit/", open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"first_name": "Mallory", "last_name": "Archer", "email": "alice@example.com"},
    ),
    "staff/patients/register/": Route(
        lambda w: "/staff/patients/register/", open_to=STAFF,
        post=lambda w: {"first_name": "Mallory", "last_name": "Mint", "email": "mallory@example.com"},
    ),
    "staff/closed-days/": Route(
        lambda w: "/staff/closed-days/", open_to=STAFF,
        post=lambda w: {"date": (MONDAY + dt.timedelta(days=1)).isoformat(), "reason": "Staff training"},
    ),
    "staff/day/": Route(lambda w: f"/staff/day/?date={MONDAY.isoformat()}", open_to=STAFF),
    "staff/day/<str:day>/": Route(lambda w: f"/staff/day/{MONDAY.isoformat()}/", open_to=STAFF, sees_alice=STAFF),
    "staff/board/": Route(lambda w: "/staff/board/", open_to=STAFF),
    "staff/board/sessions/<int:pk>/<str:step>/": Route(
        lambda w: f"/staff/board/sessions/{w.session.pk}/arrive/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"time": "", "bladder_emptied": "yes", "no_alcohol_or_drugs": "yes"},
    ),
    "staff/week/": Route(lambda w: f"/staff/week/?date={MONDAY.isoformat()}", open_to=STAFF),
    "staff/week/<str:day>/": Route(
        lambda w: f"/staff/week/{MONDAY.isoformat()}/", open_to=STAFF, sees_alice=STAFF,
    ),
    "staff/sessions/<int:pk>/": Route(
        lambda w: f"/staff/sessions/{w.session.pk}/", open_to=STAFF, sees_alice=STAFF,
    ),
    "staff/sessions/<int:pk>/cancel/": Route(
        lambda w: f"/staff/sessions/{w.session.pk}/cancel/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"reason": "Refused by the security suite."},
    ),
    "staff/sessions/<int:pk>/reschedule/": Route(
        lambda w: f"/staff/sessions/{w.session.pk}/reschedule/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"day": (MONDAY + dt.timedelta(days=1)).isoformat(), "start_time": "14:00",
                        "chair": w.session.chair_id, "reason": "moved"},
    ),
    "staff/sessions/<int:pk>/mark/": Route(
        lambda w: f"/staff/sessions/{w.session.pk}/mark/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"status": "no_show", "reason": "Refused by the security suite."},
    ),
    "staff/courses/<int:pk>/": Route(lambda w: f"/staff/courses/{w.course.pk}/", open_to=STAFF, sees_alice=STAFF),
    "staff/courses/<int:pk>/cancel-rest/": Route(
        lambda w: f"/staff/courses/{w.course.pk}/cancel-rest/", get=False, open_to=STAFF, sees_alice=STAFF,
        post=lambda w: {"reason": "Refused by the security suite."},
    ),
}
