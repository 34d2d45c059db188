"""Staff see each patient's notification log and resend failed messages."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.models import AuditEvent, Patient
from scheduling.models import Notification
from scheduling.notifications.plan import notifications_plan
from tests.scheduling.helpers import clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status
NOW = clinic_time(2026, 3, 2, 9)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def planned(patient):
    session = make_session(patient, clinic_time(2026, 3, 4, 10))
    notifications_plan(sessions=[session])
    return session


def log_url(patient):
    return reverse("notifications:patient-log", args=[patient.pk])


def test_the_front_desk_sees_every_message_of_a_patient_with_its_status_in_words(front_desk_client, planned, patient):
    planned.notifications.filter(kind=Kind.REMINDER).update(
        status=Status.FAILED, attempts=5, last_error="SMTPDataError: 451"
    )
    response = front_desk_client.get(log_url(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1 and "Notifications for Alice Archer" in html
    assert html.count("data-notification=") == 3
    for words in ("Failed", "Queued", "Booking confirmation", "No-driving notice", "5 attempts", "451"):
        assert words in html
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    assert reverse("notifications:resend", args=[reminder.pk]) in html
    assert html.count('action="/staff/notifications/') == 1  # only the failed one offers "Resend"
    assert AuditEvent.objects.filter(action="notifications.view_log", patient=patient).count() == 1


def test_the_log_runs_a_fixed_number_of_queries_however_long_it_is(
    front_desk_client, patient, django_assert_max_num_queries
):
    sessions = [make_session(patient, clinic_time(2026, 3, 4, 10) + dt.timedelta(days=2 * n)) for n in range(12)]
    notifications_plan(sessions=sessions)
    with django_assert_max_num_queries(14):
        response = front_desk_client.get(log_url(patient))
    assert response.content.decode().count("data-notification=") == 36  # 12 courses: confirmation, reminder, notice


def test_resending_a_failed_message_queues_it_again_and_is_audited(front_desk_client, front_desk, planned, patient):
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    Notification.objects.filter(pk=reminder.pk).update(status=Status.FAILED, attempts=5, last_error="451")
    response = front_desk_client.post(reverse("notifications:resend", args=[reminder.pk]), follow=True)
    assert response.redirect_chain[-1][0] == log_url(patient)
    assert "queued" in response.content.decode()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (Status.PENDING, 0, "")
    assert AuditEvent.objects.filter(action="notification.resend", actor=front_desk, patient=patient).exists()


def test_resending_a_message_that_did_not_fail_is_refused_with_a_message(front_desk_client, planned):
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    response = front_desk_client.post(reverse("notifications:resend", args=[reminder.pk]), follow=True)
    assert "Only a failed or undeliverable message can be sent again" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == Status.PENDING


def test_messages_that_need_attention_are_listed_for_staff(clinician_client):
    unreachable = Patient.objects.create(first_name="Una", last_name="Reach", email="", phone="")
    notifications_plan(sessions=[make_session(unreachable, clinic_time(2026, 3, 4, 10))])
    response = clinician_client.get(reverse("notifications:attention"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Una Reach" in html and "Undeliverable" in html and "No email address or phone number" in html


def test_patients_cannot_see_the_staff_log_or_resend(patient_client, planned, patient, other_patient):
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    assert patient_client.get(log_url(patient)).status_code == 403
    assert patient_client.get(log_url(other_patient)).status_code == 403
    assert patient_client.get(reverse("notifications:attention")).status_code == 403
    assert patient_client.post(reverse("notifications:resend", args=[reminder.pk])).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, planned, patient):
    response = client.get(log_url(patient))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_unknown_patient_or_message_is_not_found(front_desk_client):
    assert front_desk_client.get(reverse("notifications:patient-log", args=[999999])).status_code == 404
    assert front_desk_client.post(reverse("notifications:resend", args=[999999])).status_code == 404


def test_resend_only_accepts_a_post(front_desk_client, planned):
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    assert front_desk_client.get(reverse("notifications:resend", args=[reminder.pk])).status_code == 405


def test_the_staff_panel_counts_the_messages_that_need_attention(rf, front_desk, planned):
    from scheduling.notifications.views import staff_panel

    planned.notifications.filter(kind=Kind.REMINDER).update(status=Status.FAILED)
    request = rf.get("/staff/")
    request.user = front_desk
    html = staff_panel(request)
    assert "<h2" in html and "1 message could not be sent." in html
    assert reverse("notifications:attention") in html
