"""Plain helpers shared by the fault drills and their conftest.py."""

import time
import urllib.error
import urllib.request


def fetch(url: str, *, timeout: float = 10) -> tuple[int, str, float]:
    """(status, body, seconds) of one GET; an HTTP error status is a result, not an exception."""
    began = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), time.monotonic() - began
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), time.monotonic() - began


def wait_until(check, *, seconds: float, step: float = 0.2):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(step)
    raise AssertionError(f"not true within {seconds} s (last: {last!r})")
