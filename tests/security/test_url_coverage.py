"""Every URL pattern of the project is either checked for access here or listed
as public with a reason: a new page cannot slip in unchecked."""

from tests.security.routes import ROUTES
from tests.security.world import ROLES, all_routes


def _admin(route: str) -> bool:
    return route.startswith("admin/")


def test_every_url_pattern_is_covered_by_the_security_suite():
    routes = all_routes()
    unchecked = sorted(route for route in routes if not _admin(route) and route not in ROUTES)
    assert not unchecked, f"URL patterns with no security check (add them to tests/security/routes.py): {unchecked}"
    stale = sorted(route for route in ROUTES if route not in routes)
    assert not stale, f"tests/security/routes.py lists routes that no longer exist: {stale}"


def test_public_pages_say_why_they_are_public():
    for route, spec in ROUTES.items():
        if "anonymous" in spec.open_to:
            assert spec.public, f"{route!r} is open to anonymous visitors without a reason"


def test_report_how_many_urls_and_roles_are_covered(capsys):
    routes = all_routes()
    admin = [r for r in routes if _admin(r)]
    public = [r for r, spec in ROUTES.items() if spec.public]
    guarded = [r for r, spec in ROUTES.items() if not spec.public]
    with capsys.disabled():
        print(
            f"\n[security] {len(routes)} URL patterns: {len(guarded)} guarded and {len(public)} public app routes, "
            f"{len(admin)} admin routes; {len(ROLES)} roles ({', '.join(ROLES)})"
        )
    assert len(routes) == len(ROUTES) + len(admin)
