"""One way to race threads against each other on their own PostgreSQL connections.

Each thread waits at a Barrier so they all start the call at the same moment, and each
closes its database connections when done (Django opens one per thread, and an open one
would block the test database's teardown).
"""

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections

BARRIER_TIMEOUT = 20
JOIN_TIMEOUT = 60


def race(fn: Callable[..., Any], each: int | Iterable[Any]) -> list[Any]:
    """Call `fn` in racing threads and return what each call returned or raised, in order.

    `each` is either a count n (n threads each call `fn()`) or the arguments, one thread
    per item: a tuple is unpacked into positional arguments, anything else is passed as one.
    An exception a call raised comes back as the exception object, so the test can sort
    winners from refusals; a thread still running after a minute fails the test.
    """
    calls = [() for _n in range(each)] if isinstance(each, int) else [a if isinstance(a, tuple) else (a,) for a in each]
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index, args):
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            outcomes[index] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - handed back to the test to judge
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, args)) for index, args in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"racing threads still running after {JOIN_TIMEOUT}s: {stuck}"
    return outcomes


def failures(outcomes: list[Any]) -> list[Exception]:
    """The exceptions among race() outcomes."""
    return [outcome for outcome in outcomes if isinstance(outcome, Exception)]


def successes(outcomes: list[Any]) -> list[Any]:
    """The returned values among race() outcomes."""
    return [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
