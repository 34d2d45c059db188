"""Nothing a lock screen or a shared calendar shows names the treatment, the patient or a
health matter (issue 16; CONTRACT: CLINIC_MESSAGE_NAME).

Every kind of message the portal sends is made for a patient and a clinic whose name says
"Ketamine" (the demo's, on purpose): each notification kind by email and by text message,
the portal invitation, the screening receipt, the password reset, the two-step sign-in notices
and the clinicians' alert. Every subject, the first line of every text message and every
calendar title is checked against a deny-list; the senders' code is checked too, so a new
email cannot skip portal.lock_screen.

The same messages also guard the parity of their two parts: each fact the HTML part shows (a
clock time, a chair, a phone number, 911 and 988, a link) is in the plain-text part too.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import uuid
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db.models import Q

from portal import lock_screen
from portal.models import ClinicSettings, Patient, Role
from scheduling.models import Chair, Notification
from tests.factories import PatientWithAccountFactory, UserFactory
from tests.scheduling.helpers import NOW, clear

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
FIRST, LAST = "Katrina", "Quillfeather"
DENY = ("ketamine", "infusion", "treatment", "symptom", "depression", "drive", "driving", "phq", "mood",
        "suicid", "self-harm", "screening", "dose", FIRST.lower(), LAST.lower())
ROOT = Path(django_settings.BASE_DIR)


def leaks(text: str) -> list[str]:
    return [word for word in DENY if word in text.lower()]


@pytest.fixture
def clinic(settings):
    settings.CLINIC_NAME = "Riverside Ketamine Clinic"
    settings.CLINIC_MESSAGE_NAME = "Riverside Clinic"
    settings.SMS_BACKEND = "locmem"
    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False
    ClinicSettings.objects.update_or_create(pk=1, defaults={"morning_reminder": True})
    for n in (1, 2):
        Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})
    from scheduling.notifications import sms

    sms.outbox.clear()
    return sms.outbox


def every_notification_sent(channel: str, front_desk, clinician) -> None:
    """A course booked, a session moved and one cancelled, a review point: each row sent when due."""
    from scheduling.notifications.dispatch import notifications_dispatch
    from scheduling.services import course_book, session_cancel, session_reschedule

    patient = PatientWithAccountFactory(first_name=FIRST, last_name=LAST, email=f"{channel}@example.com",
                                        phone="(555) 010-0142", preferred_channel=channel)
    clear(patient, clinician)
    with time_machine.travel(NOW, tick=False):
        course = course_book(patient=patient, first_day=dt.date(2026, 12, 7), sessions_per_week=2, weeks=3,
                             start_time=dt.time(10), booked_by=front_desk)
        sessions = list(course.sessions.order_by("start"))
        session_reschedule(session=sessions[1], day=sessions[1].start.date(), start_time=dt.time(13), by=front_desk)
        session_cancel(session=sessions[2], by=front_desk, reason="Unwell")
    rows = Notification.objects.filter(Q(session__patient=patient) | Q(course__patient=patient))
    for row in rows.order_by("send_at", "pk"):
        with time_machine.travel(row.send_at, tick=False):
            notifications_dispatch(now=row.send_at)
    sent = set(rows.filter(status=Notification.Status.SENT).values_list("kind", flat=True))
    # The ride-home text goes only on the day, by text message, to the patient's driver: its first
    # line is checked in tests/scheduling/test_treatment_day.py.
    kinds = set(Kind) - {Kind.RIDE_HOME}
    assert kinds - sent <= {Kind.REVIEW_DUE_CLINICIANS} if channel == "sms" else kinds == sent, sent


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_no_notification_subject_or_first_line_names_the_treatment_or_patient(clinic, channel, front_desk, clinician):
    every_notification_sent(channel, front_desk, clinician)
    firsts = [message.body.split("\n", 1)[0] for message in clinic]
    subjects = [message.subject for message in mail.outbox]
    if channel == "sms":
        assert firsts and all(line == "A message from Riverside Clinic" for line in firsts), firsts
    assert {line: leaks(line) for line in subjects + firsts if leaks(line)} == {}
    # The bodies, behind the lock screen, still say what they must.
    assert any("Do not drive" in text for text in [m.body for m in mail.outbox] + [m.body for m in clinic])


def test_no_subject_of_the_other_emails_names_the_treatment_or_patient(
    clinic, client, clinician, django_capture_on_commit_callbacks
):
    from portal.services import patient_invite
    from portal.two_factor.services import reset
    from screening.services import checklist_version_current, screening_submit
    from symptoms.services import phq9_record

    version = checklist_version_current()
    with django_capture_on_commit_callbacks(execute=True):
        screening_submit(  # the receipt, and the portal invitation it offers
            answers={code: "no" for code in version.codes}, version=version, submission_key=uuid.uuid4().hex,
            consent=True, first_name=FIRST, last_name=LAST, email="receipt@example.com",
        )
    patient = PatientWithAccountFactory(first_name=FIRST, last_name=LAST, email="kq@example.com")
    invited = type(patient).objects.create(first_name=FIRST, last_name=LAST, email="invite@example.com")
    patient_invite(patient=invited, invited_by=clinician)
    client.post("/accounts/password_reset/", {"email": "kq@example.com"})
    admin = UserFactory(email="admin@clinic.example", is_superuser=True, is_staff=True, role=Role.CLINICIAN)
    with django_capture_on_commit_callbacks(execute=True):
        reset(user=clinician, by=admin)
    with django_capture_on_commit_callbacks(execute=True):
        phq9_record(patient=patient, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])

    subjects = [message.subject for message in mail.outbox]
    assert len(subjects) >= 5, subjects  # receipt, invitations, reset, two-step notice, alert
    assert {s: leaks(s) for s in subjects if leaks(s)} == {}
    assert all(s.startswith("Riverside Clinic") or "Riverside Clinic" in s or "password" in s for s in subjects)


def test_calendar_titles_say_only_appointment_and_cancelled(clinic, patient, clinician, front_desk):
    from scheduling.calendar import course_calendar
    from scheduling.services import course_book, session_cancel

    patient.first_name, patient.last_name = FIRST, LAST
    patient.save()
    clear(patient, clinician)
    with time_machine.travel(NOW, tick=False):
        course = course_book(patient=patient, first_day=dt.date(2026, 12, 7), sessions_per_week=2, weeks=1,
                             start_time=dt.time(10), booked_by=front_desk)
        session_cancel(session=course.sessions.order_by("start").last(), by=front_desk, reason="Unwell")
        text = course_calendar(courses=[course]).decode()
    titles = [line.split(":", 1)[1] for line in text.replace("\r\n ", "").splitlines()
              if line.startswith(("SUMMARY", "X-WR-CALNAME"))]
    assert "SUMMARY:Appointment at Riverside Clinic" in text
    assert "SUMMARY:Cancelled: Appointment at Riverside Clinic" in text
    assert {t: leaks(t) for t in titles if leaks(t)} == {}


@pytest.mark.parametrize(
    ("clinic_name", "message_name"),
    [
        ("Riverside Ketamine Clinic", "Riverside Clinic"),
        ("Ketamine Infusion Center", "Your clinic"),
        ("Lakeside Health", "Lakeside Health"),
    ],
)
def test_the_default_message_name_leaves_out_treatment_words(clinic_name, message_name):
    import subprocess
    import sys

    code = "import portal.settings as s; print(s.CLINIC_MESSAGE_NAME)"
    env = {"PATH": "/usr/bin:/bin", "CLINIC_NAME": clinic_name, "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_DEBUG": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == message_name


SENDERS = ("send_mail", "EmailMultiAlternatives", "EmailMessage", "_send")


def test_every_email_the_code_sends_takes_its_subject_from_lock_screen():
    """A subject is lock_screen.subject(...) or a notification's context["subject"] (made there):
    a new email cannot carry a subject that skipped the check."""
    wrong = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or path.parts[len(ROOT.parts)] in ("tests", "bench"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None)
            name = getattr(name, "id", None) or getattr(name, "attr", None)
            if not isinstance(node, ast.Call) or name not in SENDERS:
                continue
            subject = next((k.value for k in node.keywords if k.arg == "subject"), node.args[0] if node.args else None)
            if subject is None:
                continue
            text = ast.unparse(subject)
            if not (text.startswith("lock_screen.subject(") or text in ("context['subject']", "subject", "subject_template_name")):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text}")
    assert not wrong, wrong


def test_a_text_message_first_line_names_only_the_clinic(settings):
    settings.CLINIC_MESSAGE_NAME = "Riverside Clinic"
    text = lock_screen.text_message("Do not drive until 11:00 PM.\n")
    assert text.splitlines()[0] == "A message from Riverside Clinic"
    assert text.endswith("Do not drive until 11:00 PM.")


FACTS = re.compile(r"\d{1,2}:\d{2} [AP]M|Chair \d+|\(\d{3}\) \d{3}-\d{4}|\b911\b|\b988\b")


def facts_missing_from_plain(message) -> list[str]:
    html = message.alternatives[0][0]
    visible = re.sub(r"<head>.*?</head>|<[^>]+>", " ", html, flags=re.S)
    facts = set(FACTS.findall(unescape(visible)))
    facts |= {href for href in re.findall(r'href="([^"]+)"', html) if not href.startswith("tel:")}
    return sorted(fact for fact in facts if fact not in message.body)


@pytest.mark.parametrize("channel", ["email"])
def test_every_notification_says_the_same_facts_in_both_parts(clinic, channel, front_desk, clinician):
    every_notification_sent(channel, front_desk, clinician)
    assert len(mail.outbox) >= len(Kind)
    missing = {m.subject: facts_missing_from_plain(m) for m in mail.outbox if facts_missing_from_plain(m)}
    assert missing == {}
    patients = [m for m in mail.outbox if m.to != [clinician.email]]
    assert all("911" in m.body and "988" in m.body for m in patients)
    booked = next(m for m in mail.outbox if "booked" in m.subject)
    assert "Chair 1" in booked.body


def test_the_other_emails_say_the_same_facts_in_both_parts(clinic, clinician, django_capture_on_commit_callbacks):
    from portal.services import patient_invite
    from screening.services import checklist_version_current, screening_submit

    version = checklist_version_current()
    with django_capture_on_commit_callbacks(execute=True):
        screening_submit(
            answers={code: "no" for code in version.codes}, version=version, submission_key=uuid.uuid4().hex,
            consent=True, first_name="Ann", last_name="O'Brien", email="ann@example.com",
        )
    invited = Patient.objects.create(first_name="Ian", last_name="O'Neil", email="ian@example.com")
    patient_invite(patient=invited, invited_by=clinician)
    assert len(mail.outbox) >= 2
    for message in mail.outbox:
        assert facts_missing_from_plain(message) == [], message.subject
        assert "&#x27;" not in message.body and "<" not in message.body
