"""The clinic's defaults: Monday to Friday, 08:00 to 18:00."""

from datetime import time

from django.db import migrations


def forwards(apps, schema_editor):
    ClinicSettings = apps.get_model("scheduling", "ClinicSettings")
    OpeningHours = apps.get_model("scheduling", "OpeningHours")
    from django.conf import settings

    clinic, _ = ClinicSettings.objects.get_or_create(pk=1, defaults={"time_zone": settings.CLINIC_TIME_ZONE})
    for weekday in range(5):
        OpeningHours.objects.get_or_create(
            clinic=clinic, weekday=weekday, defaults={"opens": time(8, 0), "closes": time(18, 0)}
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_exclusion_constraints")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
