"""The race-proof guarantee: on PostgreSQL, exclusion constraints forbid two
sessions holding one chair at the same moment (infusion plus recovery) and one
patient holding two sessions at the same moment. Cancelled sessions are left out.

They are not in the models' Meta because SQLite (the embedded default for
`make run`) has no exclusion constraints; there the service checks stand alone.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations
from django.db.models import Func, Q
from django.contrib.postgres.fields import DateTimeRangeField


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def constraints():
    live = ~Q(status="cancelled")
    return [
        ExclusionConstraint(
            name="session_chair_no_overlap",
            expressions=[(TsTzRange("start", "occupied_until"), RangeOperators.OVERLAPS), ("chair", RangeOperators.EQUAL)],
            condition=live,
            violation_error_message="This chair is already taken at that time.",
        ),
        ExclusionConstraint(
            name="session_patient_no_overlap",
            expressions=[(TsTzRange("start", "occupied_until"), RangeOperators.OVERLAPS), ("patient", RangeOperators.EQUAL)],
            condition=live,
            violation_error_message="This patient already has a session at that time.",
        ),
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Session = apps.get_model("scheduling", "Session")
    for constraint in constraints():
        schema_editor.add_constraint(Session, constraint)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Session = apps.get_model("scheduling", "Session")
    for constraint in constraints():
        schema_editor.remove_constraint(Session, constraint)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(forwards, backwards),
    ]
