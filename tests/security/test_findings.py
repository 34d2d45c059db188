"""Regression tests for what the security and fuzz suites found."""

import pytest


@pytest.mark.parametrize("target", ["0", "home", "me", "staff-dashboard"])
def test_keepalive_with_a_bare_word_as_next_redirects_instead_of_failing(world, target):
    """It took the word for a view name: "next=0" was a 500 (NoReverseMatch)."""
    response = world.client("patient").post("/accounts/keepalive/", {"next": target})
    assert response.status_code == 302
