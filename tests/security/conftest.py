import pytest
import time_machine

from tests.security.world import NOW, world_build


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(db, frozen):
    return world_build()
