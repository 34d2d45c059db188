"""Scheduling services: booking, cancelling, rescheduling (issue 5)."""

from scheduling.notifications import (
    notifications_dispatch,  # noqa: F401  (contract: scheduling.services.notifications_dispatch)
)
