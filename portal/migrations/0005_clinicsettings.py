"""ClinicSettings moves from scheduling to portal, rows and all.

The model's state is created here and deleted from scheduling in scheduling 0006; in
the database the table is renamed (scheduling_clinicsettings -> portal_clinicsettings),
never recreated, so the row and the opening hours and closed days that point at it
stay. The content type moves too, so the permissions given to the roles (and admin
log entries) follow the model.
"""

import datetime

import django.core.validators
from django.db import migrations, models

import portal.models

OLD_TABLE, NEW_TABLE = "scheduling_clinicsettings", "portal_clinicsettings"


def rename_table(old, new):
    def run(apps, schema_editor):
        schema_editor.alter_db_table(None, old, new)

    return run


def move_content_type(old_app, new_app):
    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        # post_migrate may already have made an empty row for the new label (a migrate that
        # stopped half-way): the old row carries the permissions, so it wins.
        if ContentType.objects.using(db).filter(app_label=old_app, model="clinicsettings").exists():
            ContentType.objects.using(db).filter(app_label=new_app, model="clinicsettings").delete()
            ContentType.objects.using(db).filter(app_label=old_app, model="clinicsettings").update(app_label=new_app)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_user_two_factor_required_from"),
        ("scheduling", "0005_review_due_clinicians_kind"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClinicSettings",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("time_zone", models.CharField(default=portal.models.seed_time_zone, max_length=64, validators=[portal.models.validate_time_zone])),
                        ("infusion_minutes", models.PositiveSmallIntegerField(default=60, validators=[django.core.validators.MinValueValidator(15), django.core.validators.MaxValueValidator(240)])),
                        ("recovery_minutes", models.PositiveSmallIntegerField(default=120, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(480)])),
                        ("min_clear_days", models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MaxValueValidator(3)], verbose_name="minimum clear days between a patient's sessions")),
                        ("reminder_lead_hours", models.PositiveSmallIntegerField(default=24, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(168)])),
                        ("morning_reminder", models.BooleanField(default=False, verbose_name="also remind on the morning of the session")),
                        ("morning_reminder_time", models.TimeField(default=datetime.time(7, 0))),
                        ("no_driving_hours", models.PositiveSmallIntegerField(default=12, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(48)], verbose_name="hours after the infusion with no driving, alcohol or drugs")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "clinic settings",
                        "verbose_name_plural": "clinic settings",
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(rename_table(OLD_TABLE, NEW_TABLE), rename_table(NEW_TABLE, OLD_TABLE)),
            ],
        ),
        migrations.RunPython(move_content_type("scheduling", "portal"), move_content_type("portal", "scheduling")),
    ]
