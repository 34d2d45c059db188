"""Security review findings on the guide's Markdown: placeholders filled after sanitising
carried live HTML into the public page, and pathological Markdown stalled a worker."""

import time
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from education.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, fill_placeholders, markup_problems, render_markdown
from education.models import Item
from education.services import guide_publish
from tests.education.helpers import GUIDE_URL, main_html

ATTACK = (
    '[here](https://clinic.example "Info{clinic_phone}<meta http-equiv=refresh '
    'content=3;url=https://attacker.example/>") or call {clinic_phone}'
)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name for name, _ in attrs}))


def _elements(html: str) -> list[tuple[str, set[str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def test_a_placeholder_in_a_link_title_stays_text_in_the_published_page(client, guide, clinician):
    section = guide.sections.get(anchor="day-of-session")
    section.items.create(kind=Item.Kind.PARAGRAPH, text=ATTACK, order=999)
    guide_publish(guide=guide, by=clinician)
    page = client.get(GUIDE_URL).content.decode()
    assert "http-equiv" not in page.replace("&lt;meta http-equiv", "")
    assert "<meta http-equiv" not in main_html(client.get(GUIDE_URL))
    assert all(tag != "meta" for tag, _ in _elements(main_html(client.get(GUIDE_URL))))


def test_filled_html_has_no_element_or_attribute_markdown_does_not_make():
    values = {"clinic_phone": '<a href="tel:+15550100100">(555) 010-0100</a>', "no_driving_hours": "12"}
    filled = fill_placeholders(render_markdown(ATTACK), values=values)
    for tag, attributes in _elements(filled):
        assert tag in ALLOWED_TAGS
        assert attributes <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
    # The phone number is a link where it is text, and plain text inside the title.
    assert filled.count("<a ") == 2
    assert 'title="Info(555) 010-0100&lt;meta' in filled


def test_a_placeholder_inside_link_text_is_not_a_link_in_a_link():
    values = {"clinic_phone": '<a href="tel:+15550100100">(555) 010-0100</a>'}
    filled = fill_placeholders(render_markdown("[Call {clinic_phone}](https://clinic.example)"), values=values)
    assert filled.count("<a ") == 1
    assert ">Call (555) 010-0100</a>" in filled


def test_text_values_are_escaped_where_they_land():
    filled = fill_placeholders(
        render_markdown("Hours: {no_driving_hours}"), values={"no_driving_hours": "<b>12</b>"}, text_values={}
    )
    assert "<b>12</b>" in filled  # values are trusted HTML in text nodes (the clinic's own)
    titled = fill_placeholders(
        render_markdown('[x](https://a.example "{no_driving_hours}")'),
        values={"no_driving_hours": "<b>12</b>"},
        text_values={"no_driving_hours": '12"><script>'},
    )
    assert "<script>" not in titled
    assert 'title="12&quot;&gt;&lt;script&gt;"' in titled


@pytest.mark.parametrize(
    "text",
    [
        "[" * 4000 + "x" + "]" * 4000,
        "[" * 20 + "x" + "]" * 20,
        "\n".join("    " * level + "- x" for level in range(300)),
        "\n".join("    " * level + "- x" for level in range(12)),
        "- " * 300 + "x",
        "> " * 50 + "x",
        "x" * 20000,
    ],
    ids=["4000-brackets", "20-brackets", "300-lists", "12-lists", "300-stacked-lists", "50-quotes", "20000-chars"],
)
def test_pathological_markdown_is_refused_quickly_with_a_message(text):
    started = time.monotonic()
    problems = markup_problems(text)
    assert time.monotonic() - started < 1
    assert problems and ("nested" in problems[0] or "characters long" in problems[0])
    item = Item(kind=Item.Kind.PARAGRAPH, text=text)
    with pytest.raises(ValidationError) as refused:
        item.clean()
    assert "cannot be published" in str(refused.value)
    # Rows loaded by code skip the form: rendering them is quick and shows plain text.
    assert "<" not in render_markdown(text).replace("&lt;", "")


def test_ordinary_nesting_is_still_accepted():
    text = "A (plain [link](https://clinic.example) (note)) and\n\n- one\n    - two\n        - three"
    assert markup_problems(text) == []
    assert "<ul>" in render_markdown(text)
