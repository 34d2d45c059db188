"""The guide pages as patients get them: built from the published revision, the
clinic's settings and the clinic's conditions, and kept in the Django cache.

Every cached entry records the content version it was built under. Publishing a
revision, changing the clinic settings or a condition moves the version on
(`invalidate`), so every entry built before is never served again; and since
the version is read before the rows, an entry built from rows older than a
publish carries the older version.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.cache import cache, caches
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from education.markup import fill_placeholders, phone_link

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is in requirements.txt
    RedisError = OSError

logger = logging.getLogger(__name__)
# An unreachable cache must not take the guide down: reads then go to the database.
CACHE_ERRORS = (RedisError, OSError)


def _tolerant(call, *args, default=None):
    try:
        return call(*args)
    except CACHE_ERRORS as exc:
        logger.warning("guide cache unavailable: %s", exc)
        return default


VERSION_KEY = "education:content-version"
PAGE_TIMEOUT = 60 * 60
# Without REDIS_URL the cache is local to each process: a publish made in one
# process cannot move another's version on, so pages there live one minute only.
LOCAL_CACHE_PAGE_TIMEOUT = 60


def page_timeout() -> int:
    from django.core.cache.backends.locmem import LocMemCache

    return LOCAL_CACHE_PAGE_TIMEOUT if isinstance(caches["default"], LocMemCache) else PAGE_TIMEOUT


# Whole responses for visitors without a session, also kept in this process so the
# busiest page needs one small read from the cache (the version) instead of its
# whole body. A copy is served only while the shared version is the one it was
# built under, so a publish in any worker is seen at once by all of them.
_local: dict[str, tuple[int, dict]] = {}
_clients: dict = {}


def _new_version() -> int:
    # Random, not the clock: two changes in one frozen or repeated instant (a test's
    # time_machine, a clock step back) must still give two versions.
    return secrets.randbits(62)


def invalidate(**kwargs) -> None:
    cache.set(VERSION_KEY, _new_version(), None)
    _local.clear()


def _redis_client(config: dict):
    """A redis-py client for the cache's server, one per process and address (redis-py clients
    are thread-safe and pool their connections). Django's Redis backend builds a client object
    on every call, which costs more than the GET itself on the busiest page."""
    location = config["LOCATION"]
    location = (location if isinstance(location, str) else location[0]).split(",")[0]
    client = _clients.get(location)
    if client is None:
        import redis

        options = config.get("OPTIONS", {})
        client = _clients[location] = redis.Redis.from_url(
            location,
            socket_connect_timeout=options.get("socket_connect_timeout"),
            socket_timeout=options.get("socket_timeout"),
        )
    return client


def version_now() -> int | None:
    """The shared content version, read as cheaply as the cache allows."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return _tolerant(backend.get, VERSION_KEY)
    client = _redis_client(settings.CACHES["default"])
    # The version is an int, which Django's Redis serializer stores unpickled.
    raw = _tolerant(client.get, backend.make_and_validate_key(VERSION_KEY))
    return None if raw is None else int(raw)


def store(key: str, entry: dict) -> None:
    _tolerant(cache.set, key, entry, page_timeout())


def local_get(key: str) -> dict | None:
    found = _local.get(key)
    if found is not None and found[0] == version_now():
        return found[1]
    return None


def local_put(key: str, entry: dict) -> None:
    _local[key] = (entry["version"], entry)


def _key(name: str) -> str:
    return f"education:{translation.get_language()}:{name}"


def fetch(key: str) -> tuple[int, dict | None]:
    """The current content version and the entry at `key` if it was built under it:
    one round trip to the cache."""
    found = _tolerant(cache.get_many, [VERSION_KEY, key], default={})
    version = found.get(VERSION_KEY)
    if version is None:
        _tolerant(cache.add, VERSION_KEY, _new_version(), None)
        version = _tolerant(cache.get, VERSION_KEY, 0, default=0)
    entry = found.get(key)
    if entry is not None and entry.get("version") == version:
        return version, entry
    return version, None


# Consecutive items of these kinds render as one list.
LIST_KINDS = {"step": "ol", "point": "ul", "row": "pairs", "term": "dl"}


def section_blocks(section: dict, *, values: dict[str, str], text_values: dict[str, str] | None = None) -> list[dict]:
    """Group a section's items: consecutive steps into one numbered list, points into
    one bulleted list, rows into one list of "plain name (medical term)", terms into
    one glossary; a list right after a subheading is labelled by it."""
    blocks: list[dict] = []
    subheadings = 0
    for item in section["items"]:
        html = mark_safe(fill_placeholders(item["html"], values=values, text_values=text_values))
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


def render_guide(content: dict, *, no_driving_hours: int, conditions: list[dict], preview: bool = False) -> dict:
    """The guide's main content as HTML, from a revision's (or a draft's) snapshot."""
    values = {"no_driving_hours": str(no_driving_hours), "clinic_phone": phone_link(settings.CLINIC_PHONE)}
    text_values = {"no_driving_hours": str(no_driving_hours), "clinic_phone": settings.CLINIC_PHONE}
    sections = [
        {**section, "blocks": section_blocks(section, values=values, text_values=text_values)}
        for section in content["sections"]
    ]
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


def _clinic_inputs() -> tuple[int, list[dict]]:
    # Imported here: the education app reads these apps' data, never the other way round.
    from portal.models import ClinicSettings
    from screening.models import Condition

    hours = ClinicSettings.load().no_driving_hours
    # One source of truth: the screening checklist's own rows, every one the clinic asks (its own
    # and the wider safety questions it added), in checklist order, each with its medical term so
    # a patient told a diagnosis by their doctor finds it.
    conditions = [
        {"plain": c.plain, "term": c.term_for_patients}
        for c in Condition.objects.enabled().select_related("group").order_by("group__order", "order", "pk")
    ]
    return hours, conditions


def guide_page(slug: str) -> dict | None:
    """The published guide at `slug` (title, summary, body), or None. Three queries
    when built, none when cached."""
    from education.models import Guide

    if len(slug) > Guide._meta.get_field("slug").max_length:
        return None  # no such guide; and no cache key built from a made-up address of any length
    key = _key(f"guide:{slug}")
    # The version is read before the rows: an entry built from rows older than a
    # publish carries the older version and is never served after it.
    version, entry = fetch(key)
    if entry is None:
        guide = Guide.objects.published().filter(slug=slug).first()
        if guide is None:
            return None
        hours, conditions = _clinic_inputs()
        entry = render_guide(guide.published_revision.content, no_driving_hours=hours, conditions=conditions)
        entry.update(version=version, revision=guide.published_revision.number)
        store(key, entry)
    entry["body"] = mark_safe(entry["body"])
    return entry


def preview_page(draft: dict) -> dict:
    """A draft snapshot (`services.guide_draft_snapshot`) rendered as patients would see it
    once published (never cached)."""
    hours, conditions = _clinic_inputs()
    page = render_guide(draft, no_driving_hours=hours, conditions=conditions, preview=True)
    page["body"] = mark_safe(page["body"])
    return page


def guide_list() -> list[dict]:
    """Published guides for /learn/, in the clinic's order: one query when built, none cached."""
    from education.models import Guide

    key = _key("list")
    version, entry = fetch(key)
    if entry is None:
        guides = [
            {
                "slug": g.slug,
                "title": g.published_revision.content["title"],
                "summary": g.published_revision.content["summary"],
            }
            for g in Guide.objects.published().order_by("order", "pk")
        ]
        entry = {"version": version, "guides": guides}
        store(key, entry)
    return entry["guides"]
