"""A small clinic with one patient's whole record (Alice), another patient (Bob),
a front-desk user and a clinician, built through the services; the list of every
URL pattern in the project; and a fingerprint of every table, to prove that a
request changed nothing."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.models import Invitation, Role
from tests.factories import PatientFactory, PatientWithAccountFactory, UserFactory

NY = zoneinfo.ZoneInfo("America/New_York")
# A Friday; the next Monday is 2026-12-07.
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=NY)
MONDAY = dt.date(2026, 12, 7)

ROLES = ("anonymous", "patient", "other_patient", "front_desk", "clinician")
STAFF = frozenset({"front_desk", "clinician"})
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
# What must never reach anyone who may not see Alice's record.
ALICE_MARKERS = ("Archer", "alice@example.com", "555-0142")

# Tables that a GET may write by design: the audit trail (every staff view of a
# patient's data is audited), the Django sessions (screening progress, idle clock)
# and django-axes' sign-in bookkeeping.
BOOKKEEPING_TABLES = {"portal_auditevent", "django_session"}
BOOKKEEPING_PREFIXES = ("axes_",)


def walk_patterns(patterns=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every URL pattern of the project, with its full route (as written in urls.py)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += walk_patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def all_routes() -> dict[str, URLPattern]:
    """Route -> pattern; a route listed twice (our sign-in page shadows Django's) counts once."""
    routes: dict[str, URLPattern] = {}
    for route, pattern in walk_patterns():
        routes.setdefault(route, pattern)
    return routes


def fill(route: str, values: dict[str, Any]) -> str:
    """Turn a route into a path: `<int:pk>` takes values["pk"]; regex groups too."""
    route = route.lstrip("^").rstrip("$")

    def converter(match):
        return str(values[match.group(2)])

    path = re.sub(r"<(?:(\w+):)?(\w+)>", converter, route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("\\", "")


@dataclass
class World:
    alice: Any
    bob: Any
    carol: Any
    front_desk: Any
    clinician: Any
    course: Any
    session: Any
    review_session: Any
    screening: Any
    review: Any
    alert: Any
    notification: Any
    calendar_token: str
    invitation_token: str
    reset_uid: str
    reset_token: str
    guide_slug: str
    users: dict = field(default_factory=dict)
    consent: Any = None

    def client(self, role: str, **kwargs) -> Client:
        client = Client(**kwargs)
        if role != "anonymous":
            client.force_login(self.users[role])
        return client


def world_build() -> World:
    from education.models import Guide
    from portal.models import ClinicSettings
    from scheduling.models import Chair, Notification, OpeningHours
    from scheduling.services import calendar_address_new, course_book
    from screening.services import checklist_version_current, clearance_record, consent_sign, screening_submit
    from symptoms.services import phq9_record

    clinic, _ = ClinicSettings.objects.get_or_create(pk=1)
    clinic.time_zone = "America/New_York"
    clinic.infusion_minutes, clinic.recovery_minutes, clinic.min_clear_days = 60, 120, 1
    clinic.save()
    for weekday in range(5):
        OpeningHours.objects.update_or_create(
            clinic=clinic, weekday=weekday, defaults={"opens": dt.time(8), "closes": dt.time(18)}
        )
    for n in range(1, 4):
        Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})

    alice = PatientWithAccountFactory(
        first_name="Alice", last_name="Archer", email="alice@example.com", phone="(555) 555-0142"
    )
    bob = PatientWithAccountFactory(first_name="Bob", last_name="Baker", email="bob@example.com")
    carol = PatientFactory(first_name="Carol", last_name="Cruz", email="carol@example.com")
    front_desk = UserFactory(email="fran@clinic.example", first_name="Fran", last_name="Front", role=Role.FRONT_DESK)
    clinician = UserFactory(email="cole@clinic.example", first_name="Dana", last_name="Cole", role=Role.CLINICIAN)

    version = checklist_version_current()
    screening = screening_submit(
        answers={code: "no" for code in version.codes}, version=version, submission_key="security-alice",
        consent=True, first_name="Alice", last_name="Archer", email="alice@example.com", patient=alice,
    )
    clearance_record(patient=alice, clinician=clinician, note="Cleared for the security suite.")
    course = course_book(
        patient=alice, first_day=MONDAY, sessions_per_week=3, weeks=2, start_time=dt.time(10), booked_by=front_desk
    )
    sessions = list(course.sessions.all())
    review_session = next(s for s in sessions if s.review_due)
    review = phq9_record(patient=alice, answers=[1, 1, 1, 1, 1, 1, 1, 1, 1])
    token = Invitation.new_token()
    Invitation.objects.create(
        patient=carol, token_hash=Invitation.hash_token(token), expires_at=timezone.now() + dt.timedelta(days=7)
    )
    guide = Guide.objects.published().first()
    return World(
        alice=alice,
        bob=bob,
        carol=carol,
        front_desk=front_desk,
        clinician=clinician,
        course=course,
        session=sessions[0],
        review_session=review_session,
        screening=screening,
        review=review,
        alert=review.safety_alert,
        notification=Notification.objects.filter(session__patient=alice).order_by("pk").first(),
        calendar_token=calendar_address_new(course=course, by=alice.user),
        invitation_token=token,
        reset_uid=urlsafe_base64_encode(force_bytes(alice.user.pk)),
        reset_token=default_token_generator.make_token(alice.user),
        guide_slug=guide.slug if guide else "ketamine-infusion",
        users={"patient": alice.user, "other_patient": bob.user, "front_desk": front_desk, "clinician": clinician},
        consent=consent_sign(patient=alice, signed_name="Alice Archer"),
    )


def fingerprinted_tables() -> list[str]:
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(
        t for t in tables if t not in BOOKKEEPING_TABLES and not t.startswith(BOOKKEEPING_PREFIXES)
    )


def db_fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table (bookkeeping tables aside), in one query."""
    tables = fingerprinted_tables()
    parts = [
        f"SELECT '{t}', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \"{t}\" x"
        for t in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def fingerprint_diff(before: dict, after: dict) -> dict:
    return {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}


def is_refused(response) -> bool:
    """Redirected to a sign-in page, asked for credentials (the FHIR API's 401), forbidden, not
    found or method not allowed: never the data."""
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code == 302:
        location = response["Location"]
        return location.startswith("/accounts/login/") or location.startswith("/admin/login/")
    return False


def shows_alice(response) -> list[str]:
    body = response.content.decode(errors="replace")
    return [marker for marker in ALICE_MARKERS if marker in body]
