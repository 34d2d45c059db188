"""Fuzz suite fixtures: one world per test, and the count of hypothesis examples run
(printed at the end of the run). The junk values and checks are in helpers.py."""

from __future__ import annotations

import pytest
import time_machine

from tests.fuzz.helpers import EXAMPLES
from tests.security.world import NOW, world_build


@pytest.fixture
def world(db):
    with time_machine.travel(NOW, tick=False):
        yield world_build()


def pytest_terminal_summary(terminalreporter):
    if EXAMPLES["run"]:
        terminalreporter.write_line(f"[fuzz] {EXAMPLES['run']} hypothesis examples run")
