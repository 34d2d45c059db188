"""The notification outbox: planning rows for sessions, and dispatching due rows.

Owned by the notifications work (issue 6). Booking, rescheduling and
cancelling call `notifications_plan` / `notifications_cancel` inside their
own transaction; Celery beat calls `notifications_dispatch` every minute.
"""

from __future__ import annotations

from collections.abc import Iterable


def notifications_plan(*, sessions: Iterable, reason: str = "booked") -> int:
    """Write the outbox rows for these sessions (reason: "booked" | "rescheduled"). Placeholder."""
    return 0


def notifications_cancel(*, sessions: Iterable) -> int:
    """Cancel the pending rows of these sessions, so nothing stale is sent. Placeholder."""
    return 0


def notifications_dispatch(*, now=None) -> int:
    """Send what is due at `now`. Placeholder."""
    return 0
