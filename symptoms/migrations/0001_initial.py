# SymptomReview and SafetyAlert move here from screening (issue 12), rows and all.
#
# State only: the tables screening/migrations/0005 made are taken over as they are
# (db_table below; 0002 renames them). screening's 0006 then forgets the models,
# and run_before makes sure it never runs first. The content types move too, so the
# permissions that hang off them (and the roles holding them) and the admin history
# follow the models instead of being made again empty.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("symptomreview", "safetyalert")


def _content_types_move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not rows.filter(app_label=source, model=model).exists():
            continue  # a fresh database: post_migrate makes the content types later
        # Only there when post_migrate ran while the models were away (migrate symptoms zero,
        # then forward again): an empty copy, made after the one that holds the history.
        rows.filter(app_label=target, model=model).delete()
        rows.filter(app_label=source, model=model).update(app_label=target)


def content_types_forward(apps, schema_editor):
    _content_types_move(apps, schema_editor, source="screening", target="symptoms")


def content_types_backward(apps, schema_editor):
    _content_types_move(apps, schema_editor, source="symptoms", target="screening")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('admin', '0003_logentry_add_action_flag_choices'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('portal', '0002_audit_append_only'),
        ('scheduling', '0001_initial'),
        ('screening', '0005_symptom_reviews'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    run_before = [
        ('screening', '0006_symptom_reviews_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SymptomReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('items', models.JSONField()),
                        ('total', models.PositiveSmallIntegerField()),
                        ('band', models.CharField(choices=[('minimal', 'minimal'), ('mild', 'mild'), ('moderate', 'moderate'), ('moderately severe', 'moderately severe'), ('severe', 'severe')], max_length=20)),
                        ('alert', models.BooleanField(default=False)),
                        ('submitted_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='symptom_reviews', to='portal.patient')),
                        ('session', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='symptom_reviews', to='scheduling.session')),
                    ],
                    options={
                        'db_table': 'screening_symptomreview',
                        'ordering': ['submitted_at', 'pk'],
                        'constraints': [
                            models.UniqueConstraint(condition=models.Q(('session__isnull', False)), fields=('patient', 'session'), name='one_review_per_session'),
                            models.UniqueConstraint(condition=models.Q(('session__isnull', True)), fields=('patient',), name='one_baseline_review'),
                            models.CheckConstraint(condition=models.Q(('total__lte', 27)), name='phq9_total_at_most_27'),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name='SafetyAlert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('clinicians_notified_at', models.DateTimeField(blank=True, null=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('note', models.TextField(blank=True, default='')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='safety_alerts', to='portal.patient')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='safety_alert', to='symptoms.symptomreview')),
                    ],
                    options={
                        'db_table': 'screening_safetyalert',
                        'ordering': ['created_at', 'pk'],
                        'constraints': [
                            models.CheckConstraint(condition=models.Q(('resolved_at__isnull', True), models.Q(('resolved_by__isnull', False), models.Q(('note', ''), _negated=True)), _connector='OR'), name='alert_resolved_by_a_clinician_with_a_note'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
