"""Helpers and constants shared by the education tests (the fixtures are in conftest.py)."""

import html
import re

from django.utils.html import strip_tags

GUIDE_URL = "/learn/ketamine-infusion/"


def main_html(response) -> str:
    content = response.content.decode()
    match = re.search(r"<main\b.*?</main>", content, re.S)
    assert match, "the page has no <main>"
    return match.group(0)


def main_text(response) -> str:
    """What a reader reads in <main>: tags gone, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(main_html(response)))).strip()
