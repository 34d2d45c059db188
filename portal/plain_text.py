"""The plain-text part of an email, made from its HTML part: one source, so both say the same
(issue 16: the 911/988 footer and chair names were once in the HTML part only).

Paragraphs and headings become paragraphs, list items "- " or "1. " lines, a link its words
followed by its address, and the head (title, styles) is left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "ol", "ul", "div", "footer", "main", "table", "tr", "dl", "dt", "dd"}
SKIPPED = {"head", "title", "style", "script"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.lists: list[list] = []  # per open list: [ordered, counter]
        self.href: list[str | None] = []
        self.link_text: list[int] = []

    def _break(self, lines: int = 2):
        text = "".join(self.out).rstrip(" ")
        self.out = [text + "\n" * max(0, lines - (len(text) - len(text.rstrip("\n"))))] if text else []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in ("ol", "ul"):
            self._break()
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self._break(1)
            marker = "- "
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}. "
            self.out.append(marker)
        elif tag == "br":
            self._break(1)
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_text.append(len("".join(self.out)))
        elif tag in BLOCKS:
            self._break()

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("ol", "ul"):
            if self.lists:
                self.lists.pop()
            self._break()
        elif tag == "a" and self.href:
            href, start = self.href.pop(), self.link_text.pop()
            words = "".join(self.out)[start:].strip()
            if href and href != words and not href.startswith("mailto:"):
                # tel: links keep the number as written in the words; web links add their address.
                if not href.startswith("tel:"):
                    self.out.append(f": {href}")
        elif tag in BLOCKS and tag != "li":
            self._break()

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
