"""ClinicSettings now lives in portal (portal 0005 renamed its table and moved its
content type). Here the model leaves scheduling's state and the opening hours and
closed days point at portal.ClinicSettings; the database already has both."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0005_review_due_clinicians_kind"),
        ("portal", "0005_clinicsettings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="openinghours",
                    name="clinic",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="opening_hours", to="portal.clinicsettings"),
                ),
                migrations.AlterField(
                    model_name="closedday",
                    name="clinic",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="closed_days", to="portal.clinicsettings"),
                ),
                migrations.DeleteModel(name="ClinicSettings"),
            ],
            database_operations=[],
        ),
    ]
