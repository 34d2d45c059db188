"""Browser journeys: Playwright drives Debian's Chromium against live_server, and
every page a journey visits is checked by axe-core (WCAG 2.2 AA rules)."""

import os
import shutil

import pytest

from tests.e2e.helpers import AXE_TAGS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def narrow_page(browser, live_server):
    """A 320 px wide viewport (WCAG 1.4.10 reflow)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core on the page as it is now; fail listing every violation."""

    def check(page, *, context: str = ""):
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        results = axe.run(page, options=options)
        violations = results.response["violations"]
        if violations:
            lines = [f"axe-core found {len(violations)} violation(s) on {page.url} {context}".rstrip()]
            for violation in violations:
                targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
                lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
            pytest.fail("\n".join(lines))
        return results

    return check


@pytest.fixture
def csp_violations(page):
    """Collect console errors (CSP refusals show up there) during a journey."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors
