"""Every page shows moments in the clinic's time zone, never in UTC (issue 16).

The accessibility sweep's pages (tests/e2e/test_a11y_sweep.py, the same page list) are
rendered with Django's test client for a clinic in America/Chicago, with every object made
at instants whose clinic and UTC clocks differ: 02:43 UTC is 8:43 PM the evening before at
the clinic, a 10:10 session is 16:10 UTC. Any clock text a page shows that is the UTC
reading of a stored moment, and not also the clinic reading of one, fails the test. Also
the ICS feed, the admin's names for objects, and a Celery task's zone.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from html.parser import HTMLParser

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.test import Client
from django.test.signals import template_rendered
from django.utils import timezone

from portal.models import AuditEvent, ClinicSettings, Invitation, Patient
from portal.templatetags.phone_links import PHONE, link_phone_numbers
from tests.e2e.test_a11y_sweep import SWEPT_TEMPLATES
from tests.factories import PatientFactory
from tests.scheduling.helpers import make_session

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# 02:43 UTC on Wednesday, December 2 is 8:43 PM on Tuesday, December 1 at the clinic.
NOW = dt.datetime(2026, 12, 2, 2, 43, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 12, 7)
OWN_APPS = {"portal", "education", "screening", "scheduling", "symptoms"}

# Swept templates this walk does not render, each with the reason: none shows a stored moment.
NO_MOMENT_TEMPLATES = {
    "404.html": "error page",
    "405.html": "error page",
    "400.html": "error page",
    "500.html": "error page",
    "403.html": "error page",
    "403_csrf.html": "error page",
    "education/guide_not_found.html": "no guide, no moment",
    "screening/step.html": "checklist questions",
    "screening/result.html": "the answers just given, not yet stored",
    "screening/send.html": "the send form",
    "screening/rate_limited.html": "a refusal",
    "registration/locked_out.html": "a refusal",
    "registration/logged_out.html": "a goodbye",
    "registration/password_reset_done.html": "a confirmation",
    "registration/password_reset_confirm.html": "the new password form",
    "registration/password_reset_complete.html": "a confirmation",
    "registration/invitation_invalid.html": "a refusal",
}


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles (a machine-readable
    `datetime="...Z"` attribute may say UTC)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style") and self.hidden > 0

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def clock_forms(moment: dt.datetime) -> set[str]:
    """How a page could write the clock of `moment` in its own zone: 16:10, 4:10 (PM)."""
    return {moment.strftime("%H:%M"), f"{moment.hour % 12 or 12}:{moment:%M}"}


def stored_moments() -> list[dt.datetime]:
    moments = []
    for model in apps.get_models():
        if model._meta.app_label not in OWN_APPS:
            continue
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.DateTimeField)]
        for row in model.objects.values_list(*fields) if fields else []:
            moments += [value for value in row if value is not None]
    return moments


def utc_clock_pattern(real_start: dt.datetime | None = None) -> re.Pattern:
    """The UTC clocks of the world's moments that the clinic's clock would not show. Rows the
    shared fixtures made at the real time, outside the travel, are left out: their clock is
    whatever the machine's is, and can match a time slot a page rightly shows."""
    utc, clinic = set(), set()
    for moment in stored_moments():
        if real_start is not None and abs(moment - real_start) < dt.timedelta(minutes=10):
            continue
        utc |= clock_forms(moment.astimezone(dt.UTC))
        clinic |= clock_forms(moment.astimezone(CHICAGO))
    wrong = sorted(utc - clinic)
    assert wrong, "the world has no moment whose UTC clock differs from the clinic's"
    return re.compile(r"(?<![\d:])(" + "|".join(map(re.escape, wrong)) + r")(?![\d])")


@pytest.fixture
def world(patient, front_desk, clinician, settings):
    real_start = timezone.now()
    from scheduling.models import Chair
    from scheduling.notifications.plan import notifications_plan
    from scheduling.services import course_book, session_cancel
    from screening.models import Clearance, Screening
    from screening.services import checklist_version_current, consent_sign, screening_submit, token_hash
    from symptoms.services import phq9_record

    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False
    ClinicSettings.objects.update_or_create(pk=1, defaults={"time_zone": "America/Chicago"})
    for n in (1, 2):
        Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})
    with time_machine.travel(NOW, tick=False):
        version = checklist_version_current()
        answers = {code: "no" for code in version.codes} | {"epilepsy": "yes"}
        own = screening_submit(
            answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
            first_name=patient.first_name, last_name=patient.last_name, email=patient.email, patient=patient,
        )
        Clearance.objects.create(patient=patient, clinician=clinician, note="Seizure-free for 10 years.")
        referral = screening_submit(
            answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
            first_name="Erin", last_name="Ellis", email="erin@example.com", phone="(555) 010-0199",
            date_of_birth=dt.date(1985, 6, 15),
        )
        course = course_book(patient=patient, first_day=MONDAY, sessions_per_week=3, weeks=2,
                             start_time=dt.time(10, 10), booked_by=front_desk)
        sessions = list(course.sessions.all())
        session_cancel(session=sessions[1], by=front_desk, reason="Patient unwell")
        review_point = make_session(patient, NOW - dt.timedelta(days=1, hours=2), review_due=True)
        review = phq9_record(patient=patient, answers=[1, 2, 1, 1, 0, 1, 0, 0, 1])
        notifications_plan(sessions=[make_session(
            Patient.objects.create(first_name="Una", last_name="Reach"), sessions[0].start + dt.timedelta(days=1)
        )])
        consent = consent_sign(patient=patient, signed_name=patient.full_name)
        held = screening_submit(
            answers=answers, version=version, submission_key=uuid.uuid4().hex, consent=True,
            first_name="Hal", last_name="Held", email=patient.email,
        )
        owner_token = "world-owner-link"
        Screening.objects.filter(pk=held.pk).update(owner_token_hash=token_hash(owner_token))
        invited = PatientFactory(first_name="Ivy", last_name="Invite", email="ivy@example.com")
        token = Invitation.new_token()
        Invitation.objects.create(patient=invited, token_hash=Invitation.hash_token(token),
                                  expires_at=NOW + dt.timedelta(days=7))
    return locals()


def pages(world) -> dict[str, list[tuple[str, str]]]:
    """Each role's pages: (method, path), as the sweep walks them."""
    from education.models import Guide

    w = world
    return {
        "anonymous": [
            ("get", "/"), ("get", "/learn/"), ("get", "/learn/ketamine-infusion/"), ("get", "/screening/"),
            ("get", "/screening/sent/"), ("get", "/accounts/login/"), ("get", "/accounts/password_reset/"),
            ("get", f"/accounts/invite/{w['token']}/"), ("get", f"/screening/confirm/{w['owner_token']}/"),
        ],
        "patient": [
            ("get", "/me/"), ("get", f"/me/sessions/{w['sessions'][0].pk}/"),
            ("post", "/me/calendar/subscription/"), ("get", "/symptoms/"),
            ("get", "/screening/consent/"), ("get", "/me/intake/"), ("get", "/me/intake/people/"),
            ("get", f"/screening/consent/{w['consent'].pk}/"),
            ("get", f"/symptoms/{w['review'].pk}/"), ("get", f"/symptoms/answer/{w['review_point'].pk}/"),
            ("get", f"/screening/{w['own'].pk}/"),
        ],
        "front_desk": [
            ("get", "/staff/"), ("get", "/staff/book/"), ("get", "/staff/patients/register/"),
            ("get", "/staff/closed-days/"),
            ("get", f"/staff/day/{MONDAY}/"), ("get", f"/staff/week/{MONDAY}/"),
            ("get", f"/staff/sessions/{w['sessions'][0].pk}/"), ("get", f"/staff/courses/{w['course'].pk}/"),
            ("get", "/staff/notifications/"), ("get", f"/staff/notifications/patients/{w['patient'].pk}/"),
            ("get", f"/symptoms/patient/{w['patient'].pk}/"),
            ("get", "/staff/board/"), ("get", "/staff/patients/?q=archer"), ("get", f"/staff/patients/{w['patient'].pk}/"),
            ("get", f"/screening/consent/patient/{w['patient'].pk}/sign/"),
            ("get", f"/staff/patients/{w['patient'].pk}/edit/"),
        ],
        "clinician": [
            ("get", "/staff/"), ("get", f"/screening/{w['referral'].pk}/"),
            ("get", f"/symptoms/patient/{w['patient'].pk}/"),
            ("get", f"/admin/education/guide/{Guide.objects.get(slug='ketamine-infusion').pk}/change/"),
            ("get", "/admin/screening/consentversion/add/"),
            ("get", f"/admin/education/guide/{Guide.objects.get(slug='ketamine-infusion').pk}/preview/"),
        ],
    }


def client_for(role: str, world) -> Client:
    client = Client()
    user = {"patient": world["patient"].user, "front_desk": world["front_desk"], "clinician": world["clinician"]}
    if role in user:
        client.force_login(user[role])
    if role == "anonymous":
        session = client.session
        session["screening_sent"] = world["referral"].pk
        session.save()
    return client


def test_every_swept_page_shows_clinic_time_not_utc(world):
    rendered: list[str] = []
    texts: dict[str, str] = {}
    pages_html: dict[str, str] = {}

    def record(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record, dispatch_uid="clinic-time-sweep")
    try:
        with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
            for role, visits in pages(world).items():
                client = client_for(role, world)
                for method, path in visits:
                    response = getattr(client, method)(path, follow=True)
                    assert response.status_code == 200, f"{role} {path}: {response.status_code}"
                    texts[f"{role} {path}"] = visible_text(response.content.decode())
                    pages_html[f"{role} {path}"] = response.content.decode()
    finally:
        template_rendered.disconnect(dispatch_uid="clinic-time-sweep")

    missing = SWEPT_TEMPLATES - set(rendered) - set(NO_MOMENT_TEMPLATES)
    assert not missing, f"swept pages this walk never rendered: {sorted(missing)}"
    pattern = utc_clock_pattern(world["real_start"])
    wrong = {where: sorted(set(pattern.findall(text))) for where, text in texts.items() if pattern.search(text)}
    assert not wrong, f"pages showing a UTC clock: {wrong}"
    # The same pages: no doubled full stop ("8:40 p.m.." once), no "week(s)".
    doubled = {where: re.findall(r".{20}(?<!\.)\.\.(?!\.)", text) for where, text in texts.items()}
    assert not {where: found for where, found in doubled.items() if found}
    assert not [where for where, text in texts.items() if "(s)" in text]
    # The same pages: every phone number (911 and 988 too) is a tel: link, none left bare.
    bare = {where: PHONE.findall(link_phone_numbers(html).replace(html, "")) for where, html in pages_html.items()
            if link_phone_numbers(html) != html}
    assert not bare, f"phone numbers that are not tel: links: {bare}"
    assert 'href="tel:988"' in pages_html["anonymous /"] and 'href="tel:911"' in pages_html["anonymous /"]


def test_the_guard_sees_a_utc_clock(world):
    """The guard fails when a page speaks UTC (here: what the pages said before the fix)."""
    with time_machine.travel(NOW, tick=False):
        text = f"We received your self-screening on {world['referral'].submitted_at:%b. %-d, %Y, %-I:%M} a.m."
    assert utc_clock_pattern().search(text)


def test_objects_are_named_in_clinic_time(world):
    session = world["sessions"][0]
    with timezone.override(CHICAGO):
        assert str(session).endswith("2026-12-07 10:10 Chair 1")
        event = AuditEvent.objects.filter(at=NOW).first()
        assert event is not None and str(event).startswith("2026-12-01 20:43")


def test_a_celery_task_runs_in_clinic_time(world):
    from celery.signals import task_postrun, task_prerun

    task_prerun.send(sender=None, task_id="t", task=None, args=(), kwargs={})
    try:
        assert timezone.localtime(NOW).strftime("%H:%M") == "20:43"
    finally:
        task_postrun.send(sender=None, task_id="t", task=None, args=(), kwargs={}, retval=None, state="SUCCESS")
    assert timezone.get_current_timezone_name() == "UTC"
