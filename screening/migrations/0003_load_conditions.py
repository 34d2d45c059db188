"""Load the clinic's checklist (screening/data/contraindications.json, a copy of
the clinic's list; tests/screening compares it with ../shared) into the database."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "contraindications.json"


def load(apps, schema_editor):
    ConditionGroup = apps.get_model("screening", "ConditionGroup")
    Condition = apps.get_model("screening", "Condition")
    data = json.loads(DATA.read_text())
    groups = {}
    for order, group in enumerate(data["groups"]):
        groups[group["code"]], _ = ConditionGroup.objects.update_or_create(
            code=group["code"], defaults={"title": group["title"], "order": order}
        )
    for order, item in enumerate(data["conditions"]):
        Condition.objects.update_or_create(
            code=item["code"],
            defaults={
                "group": groups[item["group"]],
                "source": item["source"],
                "term": item["term"],
                "plain": item["plain"],
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("screening", "0002_conditions")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
