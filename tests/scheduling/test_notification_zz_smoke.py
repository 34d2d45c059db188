import datetime as dt
import pytest, time_machine
from django.core import mail
from scheduling.models import Notification
from scheduling.notifications import notifications_plan, notifications_dispatch
from tests.scheduling.test_notification_support import *  # noqa

@pytest.mark.django_db
def test_smoke(patient, clinician, sms_outbox):
    start = clinic_time(2030, 3, 3, 10)
    with time_machine.travel(clinic_time(2030, 3, 1, 9), tick=False):
        s = make_session(patient, start, review_due=True)
        n = notifications_plan(sessions=[s])
        print(n, list(Notification.objects.values_list("kind", "audience", "channel", "send_at", "status")))
        print(notifications_dispatch())
    for now in [start - dt.timedelta(hours=24), s.end, s.end + dt.timedelta(hours=1)]:
        print(now, notifications_dispatch(now=now))
    for m in mail.outbox:
        print("=====", m.subject, m.to); print(m.body); print(m.alternatives[0][0][:3000])
    print(list(Notification.objects.values_list("kind", "status", "sent_at", "last_error")))
