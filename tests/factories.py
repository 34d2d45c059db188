"""factory_boy factories shared by every test package."""

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from portal.models import ClinicSettings, Patient, Role, User
from scheduling.models import Chair, Course, Notification, Session, no_driving_after

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
            if extracted != Role.PATIENT:
                self.is_staff = True
        if create:
            self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    phone = "(555) 010-0100"
    date_of_birth = factory.Faker("date_of_birth", minimum_age=20, maximum_age=80)


class PatientWithAccountFactory(PatientFactory):
    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email"), role=Role.PATIENT)


# --- Scheduling rows made directly, without the booking service -----------------------------

CLINIC_ZONE = zoneinfo.ZoneInfo("America/New_York")


def _default_chair() -> Chair:
    return Chair.objects.get_or_create(name="Chair 1")[0]


def _next_monday_ten() -> dt.datetime:
    today = timezone.now().astimezone(CLINIC_ZONE).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(10), tzinfo=CLINIC_ZONE)


class CourseFactory(factory.django.DjangoModelFactory):
    """A course row alone (no sessions): pass `patient`, `first_day` and `start_time` as needed."""

    class Meta:
        model = Course

    patient = factory.SubFactory(PatientFactory)
    first_day = factory.LazyFunction(lambda: _next_monday_ten().date())
    sessions_per_week = 2
    weeks = 1
    start_time = dt.time(10)


class SessionFactory(factory.django.DjangoModelFactory):
    """One booked session, `minutes` long, followed by the clinic's recovery time.

    Without a `course`, one is made for the session's patient, starting on the session's
    clinic-time day and hour. With a `course`, pass its `patient` too.
    """

    class Meta:
        model = Session

    class Params:
        minutes = 60

    patient = factory.SubFactory(PatientFactory)
    chair = factory.LazyFunction(_default_chair)
    start = factory.LazyFunction(_next_monday_ten)
    course = factory.SubFactory(
        CourseFactory,
        patient=factory.SelfAttribute("..patient"),
        first_day=factory.LazyAttribute(lambda c: c.factory_parent.start.astimezone(CLINIC_ZONE).date()),
        start_time=factory.LazyAttribute(lambda c: c.factory_parent.start.astimezone(CLINIC_ZONE).time()),
    )
    end = factory.LazyAttribute(lambda s: s.start + dt.timedelta(minutes=s.minutes))
    occupied_until = factory.LazyAttribute(
        lambda s: s.end + dt.timedelta(minutes=ClinicSettings.load().recovery_minutes)
    )
    no_driving_until = factory.LazyAttribute(
        lambda s: no_driving_after(s.end, hours=ClinicSettings.load().no_driving_hours)
    )


class NotificationFactory(factory.django.DjangoModelFactory):
    """A pending session-level message, due a day before its session starts."""

    class Meta:
        model = Notification

    session = factory.SubFactory(SessionFactory)
    kind = Notification.Kind.REMINDER
    send_at = factory.LazyAttribute(lambda n: n.session.start - dt.timedelta(days=1))
