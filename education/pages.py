"""The guide pages as patients get them: built from the published revision, the
clinic's settings and the clinic's conditions, and kept in the Django cache.

Cache keys carry a content version. Publishing a revision, changing the clinic
settings or a condition moves the version on (`invalidate`), so every page built
before is simply never read again; a request that read old rows under the old
version can only fill an old key.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from education.markup import fill_placeholders, phone_link

VERSION_KEY = "education:content-version"
PAGE_TIMEOUT = 60 * 60
LIST_KINDS = {"step": "ol", "point": "ul", "row": "table", "term": "dl"}


def invalidate(**kwargs) -> None:
    cache.set(VERSION_KEY, time.time_ns(), None)


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY, 0)
    return version


def _key(name: str) -> str:
    return f"education:{_version()}:{translation.get_language()}:{name}"


def section_blocks(section: dict, *, values: dict[str, str]) -> list[dict]:
    """Group a section's items: consecutive steps into one numbered list, points into
    one bulleted list, rows into one table (labelled by the subheading before it)."""
    blocks: list[dict] = []
    subheadings = 0
    for item in section["items"]:
        html = mark_safe(fill_placeholders(item["html"], values=values))
        kind = item["kind"]
        block_type = LIST_KINDS.get(kind)
        entry = {"html": html, "term": item.get("term", ""), "expansion": item.get("expansion", "")}
        if block_type and blocks and blocks[-1]["type"] == block_type:
            blocks[-1]["items"].append(entry)
        elif block_type:
            label = blocks[-1]["id"] if blocks and blocks[-1]["type"] == "h3" else ""
            blocks.append({"type": block_type, "items": [entry], "label": label})
        elif kind == "subheading":
            subheadings += 1
            blocks.append({"type": "h3", "html": html, "id": f"{section['anchor']}-{subheadings}"})
        else:
            blocks.append({"type": "p", "html": html})
    return blocks


def render_guide(content: dict, *, no_driving_hours: int, conditions: list[str], preview: bool = False) -> dict:
    """The guide's main content as HTML, from a revision's (or a draft's) snapshot."""
    values = {"no_driving_hours": str(no_driving_hours), "clinic_phone": phone_link(settings.CLINIC_PHONE)}
    sections = [{**section, "blocks": section_blocks(section, values=values)} for section in content["sections"]]
    body = render_to_string(
        "education/_guide_body.html",
        {
            "title": content["title"],
            "summary": content["summary"],
            "sections": sections,
            "conditions": conditions,
            "preview": preview,
            "CLINIC_NAME": settings.CLINIC_NAME,
        },
    )
    return {"title": content["title"], "summary": content["summary"], "body": body}


def _clinic_inputs() -> tuple[int, list[str]]:
    # Imported here: the education app reads these apps' data, never the other way round.
    from scheduling.models import ClinicSettings
    from screening.models import Condition

    hours = ClinicSettings.load().no_driving_hours
    # One source of truth: the screening checklist's own rows, in checklist order.
    conditions = list(Condition.objects.from_clinic().values_list("plain", flat=True))
    return hours, conditions


def guide_page(slug: str) -> dict | None:
    """The published guide at `slug` (title, summary, body), or None. Three queries
    when built, none when cached."""
    from education.models import Guide

    key = _key(f"guide:{slug}")
    page = cache.get(key)
    if page is None:
        guide = Guide.objects.published().filter(slug=slug).first()
        if guide is None:
            return None
        hours, conditions = _clinic_inputs()
        page = render_guide(guide.published_revision.content, no_driving_hours=hours, conditions=conditions)
        page["revision"] = guide.published_revision.number
        cache.set(key, page, PAGE_TIMEOUT)
    page["body"] = mark_safe(page["body"])
    return page


def preview_page(guide) -> dict:
    """The staff's draft rendered as patients would see it once published (never cached)."""
    from education.services import guide_draft_snapshot

    hours, conditions = _clinic_inputs()
    page = render_guide(guide_draft_snapshot(guide=guide), no_driving_hours=hours, conditions=conditions, preview=True)
    page["body"] = mark_safe(page["body"])
    return page


def guide_list() -> list[dict]:
    """Published guides for /learn/, in the clinic's order: one query when built, none cached."""
    from education.models import Guide

    key = _key("list")
    guides = cache.get(key)
    if guides is None:
        guides = [
            {"slug": g.slug, "title": g.published_revision.content["title"], "summary": g.published_revision.content["summary"]}
            for g in Guide.objects.published().order_by("order", "pk")
        ]
        cache.set(key, guides, PAGE_TIMEOUT)
    return guides
