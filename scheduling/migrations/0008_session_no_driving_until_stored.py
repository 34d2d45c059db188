"""Every existing session gets its one stored no-driving time: the recorded end is not
known for these, so the booked end plus the clinic's no-driving hours (as the notice
computed it until now). Then the column is required."""

import datetime as dt

from django.db import migrations, models


def fill(apps, schema_editor):
    ClinicSettings = apps.get_model("portal", "ClinicSettings")
    Session = apps.get_model("scheduling", "Session")
    clinic = ClinicSettings.objects.filter(pk=1).first()
    hours = clinic.no_driving_hours if clinic else 12
    Session.objects.filter(no_driving_until__isnull=True).update(
        no_driving_until=models.F("end") + dt.timedelta(hours=hours)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_clinicsettings"),
        ("scheduling", "0007_session_day_times"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name="session", name="no_driving_until", field=models.DateTimeField()),
    ]
