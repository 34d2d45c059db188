"""The patient search's stored forms of the name (no accents, no case) and the phone (digits only),
filled in for every patient already on file."""

import re
import unicodedata

from django.db import migrations, models


# Letters that carry their mark inside (NFKD does not split them): Ø is typed as O.
LETTERS_WITHOUT_PARTS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"})


def search_text(value):
    # A copy of portal.models.search_text as it is today: a migration must not follow later edits.
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().translate(LETTERS_WITHOUT_PARTS).split())


def fill(apps, schema_editor):
    Patient = apps.get_model("portal", "Patient")
    for patient in Patient.objects.only("pk", "first_name", "last_name", "phone").iterator():
        Patient.objects.filter(pk=patient.pk).update(
            search_name=search_text(f"{patient.first_name} {patient.last_name}"),
            phone_digits=re.sub(r"\D", "", patient.phone or ""),
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_patient_held_referrals")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="search_name",
            field=models.CharField(blank=True, default="", editable=False, max_length=201),
        ),
        migrations.AddField(
            model_name="patient",
            name="phone_digits",
            field=models.CharField(blank=True, db_index=True, default="", editable=False, max_length=20),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
