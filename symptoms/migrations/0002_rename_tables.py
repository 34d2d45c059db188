# The moved tables take the symptoms app's names (screening_symptomreview ->
# symptoms_symptomreview, screening_safetyalert -> symptoms_safetyalert). A rename
# keeps every row, id, constraint and foreign key; reversing it renames them back.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('symptoms', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelTable(name='symptomreview', table=None),
        migrations.AlterModelTable(name='safetyalert', table=None),
    ]
