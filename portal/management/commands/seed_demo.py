"""Idempotent demo data: staff, a cleared demo patient, and whatever each app adds.

Each app may provide `<app>/demo.py` with `seed(*, personas, stdout)`, found with
`autodiscover_modules` and run in INSTALLED_APPS order (screening clears the demo
patient before scheduling books their course, the clinic settings and chairs).
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.discovery import app_modules
from portal.models import Patient, Role, User

DEMO_PASSWORD = "Portal-demo-2026"
LOGINS = [
    ("frontdesk@clinic.example", Role.FRONT_DESK, "Frank", "Desk"),
    ("clinician@clinic.example", Role.CLINICIAN, "Dr. Clara", "Lin"),
    ("patient@clinic.example", Role.PATIENT, "Pat", "Demo"),
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo clinic: staff, a demo patient and their booked course."

    def handle(self, *args, **options):
        with transaction.atomic():
            personas = {}
            for email, role, first, last in LOGINS:
                user, _ = User.objects.get_or_create(
                    email=email,
                    defaults={"first_name": first, "last_name": last, "is_staff": role != Role.PATIENT},
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get_or_create(name=role)[0])
                personas[role] = user
            patient, _ = Patient.objects.get_or_create(
                email="patient@clinic.example",
                defaults={"first_name": "Pat", "last_name": "Demo", "phone": "(555) 010-0199"},
            )
            if patient.user_id != personas[Role.PATIENT].pk:
                patient.user = personas[Role.PATIENT]
                patient.save(update_fields=["user"])
            personas["patient_record"] = patient
        for module in app_modules("demo"):
            if hasattr(module, "seed"):
                module.seed(personas=personas, stdout=self.stdout)

        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for email, role, _first, _last in LOGINS:
            self.stdout.write(f"  {role.label:<11} {email}")
        self.stdout.write(
            f"Staff accounts need two-step sign-in (an authenticator app) from "
            f"{settings.STAFF_TWO_FACTOR_GRACE_HOURS} hours after their first sign-in; "
            f"the staff dashboard links to setting it up."
        )
