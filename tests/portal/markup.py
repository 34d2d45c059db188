"""Reading a page's markup in tests: elements by id, attributes, the <title>."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


class Page:
    def __init__(self, html: str):
        collector = _Collector()
        collector.feed(html)
        self.html = html
        self.elements = collector.elements
        self.title = " ".join(collector.title.split())

    def by_id(self, element_id: str) -> dict[str, str]:
        for _tag, attrs in self.elements:
            if attrs.get("id") == element_id:
                return attrs
        raise AssertionError(f"no element with id={element_id!r}")

    def has_id(self, element_id: str) -> bool:
        return any(attrs.get("id") == element_id for _tag, attrs in self.elements)

    def select(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [
            attrs for name, attrs in self.elements
            if name == tag and all(attrs.get(key.replace("_", "-")) == value for key, value in wanted.items())
        ]

    def summary_targets(self) -> list[str]:
        """The ids the error summary links to, in order (empty when the page has no summary)."""
        start = self.html.find("data-error-summary")
        if start < 0:
            return []
        block = self.html[start:self.html.index("</ul>", start)]
        return re.findall(r'href="#([^"]+)"', block)

    def describedby(self, element_id: str) -> list[str]:
        return self.by_id(element_id).get("aria-describedby", "").split()
