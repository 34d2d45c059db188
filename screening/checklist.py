"""The clinic's checklist file (screening/data/contraindications.json, a copy of the
clinic's list that tests compare with ../shared) and loading it into the database."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "contraindications.json"
HINTS = Path(__file__).resolve().parent / "data" / "hints.json"


def checklist_hints(*, recent_months: int) -> dict[str, str]:
    """The clinic's help under some questions (data/hints.json), with its "recently" filled in."""
    data = json.loads(HINTS.read_text())
    return {
        code: text.replace("{recent_months}", str(recent_months))
        for code, text in data.items()
        if not code.startswith("_") and text
    }


def checklist_reload_if_empty(sender=None, using="default", apps=None, **kwargs):
    from django.db.utils import OperationalError, ProgrammingError

    from screening.models import Condition, ConditionGroup

    try:
        if Condition.objects.using(using).exists():
            return
    except (OperationalError, ProgrammingError):  # tables not created yet
        return
    data = json.loads(DATA.read_text())
    groups = {}
    for order, group in enumerate(data["groups"]):
        groups[group["code"]], _ = ConditionGroup.objects.using(using).update_or_create(
            code=group["code"], defaults={"title": group["title"], "order": order}
        )
    Condition.objects.using(using).bulk_create(
        Condition(
            code=item["code"],
            group=groups[item["group"]],
            source=item["source"],
            term=item["term"],
            plain=item["plain"],
            order=order,
        )
        for order, item in enumerate(data["conditions"])
    )
