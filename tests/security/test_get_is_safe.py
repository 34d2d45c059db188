"""No state change on GET: for every URL and every role, a GET leaves every table
as it was (row counts and row contents), except the audit trail, Django's sessions
and the sign-in bookkeeping of django-axes."""

import pytest

from tests.security.routes import ROUTES
from tests.security.world import ROLES, db_fingerprint, fingerprint_diff


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_get_changes_nothing_for_any_role(world, route):
    url = ROUTES[route].url(world)
    for role in ROLES:
        client = world.client(role)
        before = db_fingerprint()
        response = client.get(url)
        assert response.status_code < 500
        changed = fingerprint_diff(before, db_fingerprint())
        assert not changed, f"GET {url} as {role} changed {sorted(changed)}"
