"""What the drill writes into its database before the load (run by `manage.py shell`).

- The race: twelve front-desk accounts with their authenticator apps and twelve cleared
  patients, and a Monday two years ahead where every chair but one is already taken at 10:00
  (and on the Thursday after), so the twelve racers want the last chair.
- The outbox: a few thousand email reminders falling due over the load, for sessions far
  ahead on an inactive chair (like bench/dispatch.py), so they are sent, never withheld.

Prints one line, SETUP=<json>, for bench/drill.py.
"""

SCRIPT = r"""
import datetime as dt
import json
import uuid
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from portal.models import ClinicSettings, Patient, Role, User
from portal.services import patient_register, staff_create
from scheduling.models import Chair, Course, Notification, Session
from scheduling.services import course_book
from screening.services import clearance_record

RACERS, DUE, SPREAD = {racers}, {due}, {spread}
clinician = User.objects.filter(groups__name=Role.CLINICIAN).order_by("pk").first()


def cleared(email, first, last):
    patient = Patient.objects.filter(email=email).first() or patient_register(
        first_name=first, last_name=last, email=email)
    clearance_record(patient=patient, clinician=clinician, note="drill")
    return patient


# Past the load's front desks (they book up to ~706 days ahead), inside the two-year limit.
target = timezone.localdate() + dt.timedelta(days=715)
while target.weekday() != 0:
    target += dt.timedelta(days=1)
chairs = Chair.objects.filter(active=True).count()
for n in range(chairs - 1):
    filler = cleared(f"drill-filler-{{n}}@drill.example", "Filler", f"Patient {{n}}")
    course_book(patient=filler, first_day=target, sessions_per_week=2, weeks=1, start_time=dt.time(10))

racers = []
for n in range(RACERS):
    patient = cleared(f"drill-racer-{{n}}@drill.example", "Racer", f"Patient {{n}}")
    desk_email = f"drill-desk-{{n}}@drill.example"
    desk = User.objects.filter(email=desk_email).first() or staff_create(
        email=desk_email, role="front_desk", first_name="Drill", last_name=f"Desk {{n}}", password="{password}")
    device = TOTPDevice.objects.create(user=desk, name="Authenticator app", confirmed=True)
    User.objects.filter(pk=desk.pk).update(two_factor_required_from=timezone.now() - dt.timedelta(days=1))
    racers.append({{"patient": patient.pk, "email": desk_email, "key": device.key}})

clinic = ClinicSettings.load()
tag = uuid.uuid4().hex[:8]
patient = Patient.objects.create(first_name="Outbox", last_name=tag, email=f"outbox-{{tag}}@drill.example")
chair = Chair.objects.create(name=f"drill-{{tag}}", active=False)
first = dt.date(2090, 1, 2)
course = Course.objects.create(patient=patient, first_day=first, sessions_per_week=2, weeks=1,
                               start_time=dt.time(10))
sessions = []
for n in range(20):
    start = dt.datetime.combine(first + dt.timedelta(days=2 * n), dt.time(15), tzinfo=dt.UTC)
    end = start + dt.timedelta(minutes=clinic.infusion_minutes)
    sessions.append(Session(course=course, patient=patient, chair=chair, start=start, end=end,
                            occupied_until=end + dt.timedelta(minutes=clinic.recovery_minutes),
                            no_driving_until=end + dt.timedelta(hours=clinic.no_driving_hours)))
Session.objects.bulk_create(sessions)
now = timezone.now()
rows = [
    Notification(
        session=sessions[n % 20], kind=Notification.Kind.REMINDER, session_sequence=n,
        send_at=now + dt.timedelta(seconds=SPREAD * n / DUE), expires_at=sessions[n % 20].start,
    )
    for n in range(DUE)
]
Notification.objects.bulk_create(rows, batch_size=2000)
print("SETUP=" + json.dumps({{"racers": racers, "first_day": target.isoformat(), "due": DUE}}))
"""
