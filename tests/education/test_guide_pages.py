"""/learn/ and the guide addresses."""

import pytest

from education.models import Guide
from tests.education.helpers import GUIDE_URL, main_html

pytestmark = pytest.mark.django_db


def test_the_guides_page_lists_the_ketamine_guide_first(client, clinician):
    later = Guide.objects.create(slug="aftercare", title="Aftercare", summary="Looking after yourself.", order=5)
    later.sections.create(anchor="rest", heading="Rest").items.create(text="Rest at home.")
    from education.services import guide_publish

    guide_publish(guide=later, by=clinician)
    response = client.get("/learn/")
    assert response.status_code == 200
    content = main_html(response)
    assert content.count("<h1") == 1
    assert content.index(f'href="{GUIDE_URL}"') < content.index('href="/learn/aftercare/"')
    assert "Ketamine infusion: a guide for patients" in content


def test_an_unpublished_guide_is_not_listed_nor_served(client):
    draft = Guide.objects.create(slug="draft-guide", title="Secret draft", summary="Not yet.", order=0)
    draft.sections.create(anchor="a", heading="A").items.create(text="Draft words.")
    assert "Secret draft" not in client.get("/learn/").content.decode()
    assert client.get("/learn/draft-guide/").status_code == 404


def test_an_unknown_guide_gets_a_friendly_404_linking_back_to_the_guides(client):
    response = client.get("/learn/no-such-guide/")
    assert response.status_code == 404
    content = main_html(response)
    assert "We could not find that guide" in content
    assert 'href="/learn/"' in content


def test_the_guide_is_public_and_shows_signed_in_navigation_to_patients(patient_client):
    response = patient_client.get(GUIDE_URL)
    assert response.status_code == 200
    assert "Sign out" in response.content.decode()
    assert "Do not drive for 12 hours" in response.content.decode()


def test_only_get_is_allowed(client):
    assert client.post(GUIDE_URL).status_code == 405
