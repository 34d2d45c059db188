# SymptomReview and SafetyAlert moved to the symptoms app (issue 12). Only Django's
# record of the models goes from here: the tables and their rows stay, and
# symptoms/migrations/0001_initial.py takes them over (it runs before this one).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0005_symptom_reviews'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='SafetyAlert'),
                migrations.DeleteModel(name='SymptomReview'),
            ],
            database_operations=[],
        ),
    ]
