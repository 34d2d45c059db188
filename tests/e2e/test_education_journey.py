import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitor_finds_the_guide_and_jumps_to_a_section(page, assert_accessible, csp_violations):
    page.goto("/learn/")
    assert page.locator("h1").count() == 1
    assert_accessible(page, context="/learn/")

    page.get_by_role("link", name="Ketamine infusion: a guide for patients").click()
    page.wait_for_url("**/learn/ketamine-infusion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ketamine infusion: a guide for patients")
    assert page.title().startswith("Ketamine infusion: a guide for patients")
    assert_accessible(page, context="the guide")

    toc = page.get_by_role("navigation", name="On this page")
    toc.get_by_role("link", name="Side effects").click()
    page.wait_for_url("**/learn/ketamine-infusion/#side-effects")
    expect(page.get_by_role("heading", level=2, name="Side effects")).to_be_in_viewport()
    expect(page.get_by_role("list", name="Common: more than 10 in 100 people")).to_be_visible()
    assert_accessible(page, context="the guide at #side-effects")

    toc.get_by_role("link", name="Conditions that call for caution").click()
    page.get_by_role("link", name="Start the self-screening").click()
    page.wait_for_url("**/screening/**")
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations


def test_the_guide_prints_without_navigation(page):
    page.goto("/learn/ketamine-infusion/")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="On this page")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("heading", level=2, name="Side effects")).to_be_visible()


def test_an_unknown_guide_offers_the_way_back(page, assert_accessible):
    response = page.goto("/learn/not-a-guide/")
    assert response.status == 404
    assert_accessible(page, context="guide 404")
    page.get_by_role("link", name="See all patient guides").click()
    page.wait_for_url("**/learn/")


def test_a_clinician_previews_a_draft_and_publishes_it(page, clinician, password, assert_accessible):
    from education.models import Guide, Item

    guide = Guide.objects.get(slug="ketamine-infusion")
    section = guide.sections.get(anchor="after-session")
    section.items.create(kind=Item.Kind.POINT, text="Bring a snack for the ride home.", order=999)

    sign_in(page, clinician.email, password)
    page.wait_for_url("**/staff/")
    page.get_by_role("link", name="Preview draft of Ketamine infusion: a guide for patients").click()
    expect(page.get_by_text("Patients cannot see this draft until it is published.")).to_be_visible()
    expect(page.get_by_text("Bring a snack for the ride home.")).to_be_visible()
    assert_accessible(page, context="draft preview")

    page.get_by_role("button", name="Publish this draft").click()
    # Its number depends on how many revisions came with the portal (or a flushed test database's reload).
    expect(page.get_by_text(re.compile(r"revision \d+ is published"))).to_be_visible()

    page.goto("/learn/ketamine-infusion/#after-session")
    expect(page.get_by_text("Bring a snack for the ride home.")).to_be_visible()
