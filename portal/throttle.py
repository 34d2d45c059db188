"""Counting in a window, for limits that must hold across web nodes: the counter lives in
the cache (Redis in production), increments atomically and expires by itself. When the
cache does not answer the limit is not applied: a patient's screening or reset must get
through whatever Redis does."""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def throttle_key(kind: str, value: str) -> str:
    """A cache key for `value` (an address, an email): hashed, so no email sits in the cache
    and any length gives a valid key."""
    return f"throttle:{kind}:{hashlib.sha256((value or 'unknown').strip().lower().encode()).hexdigest()}"


def throttle_hit(*, key: str, limit: int, window: int = 3600) -> bool:
    """Count one event under `key`; True while within `limit` events in `window` seconds."""
    try:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
    except Exception:  # noqa: BLE001 - the cache is down: do not refuse anyone for it
        logger.warning("limit %s not counted: the cache does not answer", key.split(":")[1])
        return True
    return count <= limit
