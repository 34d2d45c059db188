"""Staff-typed text: Markdown, rendered and then sanitised with nh3.

Nothing a staff member types reaches a patient's browser unsanitised: the admin
refuses text with tags or attributes outside the allow-list (so staff learn what
went wrong), and rendering sanitises again whatever got past (data loaded by
code, older rows).
"""

from __future__ import annotations

import re
from html import escape as html_escape
from html import unescape as html_unescape
from html.parser import HTMLParser

import markdown
import nh3
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "a", "abbr", "dfn", "ul", "ol", "li", "code", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "dfn": {"title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "embed", "source", "track"}

# Values filled in when the page is rendered, so the guide follows the clinic's
# settings instead of carrying a copy of them.
PLACEHOLDERS = ("no_driving_hours", "clinic_phone")
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
# A guide item is a paragraph or a list entry. Python-Markdown's time and stack grow with
# nesting ('[' * 4000 took seconds; 300 nested lists overflowed the stack), so an item is
# refused past these limits, with a message, before Markdown ever sees it.
MAX_ITEM_CHARS = 3000
MAX_NESTING = 8
_OPENERS = {"[": "]", "(": ")"}
_LIST_OR_QUOTE = re.compile(r"^(?:\s*(?:[-*+>]|\d+[.)])\s+)+")


def _nesting(text: str) -> int:
    """How deep the text nests: brackets inside brackets, lists and quotes inside each
    other (by markers and by indentation)."""
    deepest = depth = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in (")", "]") and depth:
            depth -= 1
    for line in text.splitlines():
        markers = _LIST_OR_QUOTE.match(line)
        stacked = len(re.findall(r"[-*+>]|\d+[.)]", markers.group(0))) if markers else 0
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        deepest = max(deepest, stacked + indent // 4)  # Python-Markdown nests lists by 4 spaces
    return deepest


def size_problems(text: str) -> list[str]:
    """Limits checked before any Markdown is rendered."""
    problems = []
    if len(text or "") > MAX_ITEM_CHARS:
        problems.append(
            _("the text is %(length)s characters long; split it into items of at most %(max)s")
            % {"length": len(text), "max": MAX_ITEM_CHARS}
        )
    elif _nesting(text or "") > MAX_NESTING:
        problems.append(_("brackets, lists or quotes are nested more than %(max)s levels deep") % {"max": MAX_NESTING})
    return problems


def render_markdown(text: str, *, inline: bool = False) -> str:
    """Markdown to sanitised HTML. `inline` drops the wrapping <p> of a one-paragraph
    text, for list items and table cells. Text over the limits (rows loaded by code, never
    through a form) is shown as plain escaped text instead of being rendered."""
    if size_problems(text):
        return html_escape(text, quote=False)
    html = markdown.markdown(text or "", output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()
    if inline and clean.startswith("<p>") and clean.endswith("</p>") and clean.count("<p>") == 1:
        clean = clean[3:-4]
    return clean


class _TagAudit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(_("the <%(tag)s> tag is not allowed") % {"tag": tag})
        else:
            allowed = ALLOWED_ATTRIBUTES.get(tag, set())
            for name, value in attrs:
                if name not in allowed:
                    self.problems.append(
                        _("the %(attr)s attribute on <%(tag)s> is not allowed") % {"attr": name, "tag": tag}
                    )
                elif name == "href" and value and ":" in value.split("/")[0]:
                    if value.split(":", 1)[0].lower() not in URL_SCHEMES:
                        self.problems.append(_("links must start with https:, mailto: or tel:"))
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.problems.append(_("the </%(tag)s> tag does not close the tag opened before it") % {"tag": tag})


def markup_problems(text: str) -> list[str]:
    """What is wrong with a staff-typed text, in words staff can act on; empty when fine."""
    problems = size_problems(text)
    if problems:
        return problems
    audit = _TagAudit()
    audit.feed(markdown.markdown(text or "", output_format="html"))
    audit.close()
    problems = list(dict.fromkeys(audit.problems))
    for tag in dict.fromkeys(audit.open):
        problems.append(_("the <%(tag)s> tag is opened but never closed") % {"tag": tag})
    for name in dict.fromkeys(PLACEHOLDER_RE.findall(text or "")):
        if name not in PLACEHOLDERS:
            problems.append(
                _("{%(name)s} is not a value the guide knows; use one of: %(known)s")
                % {"name": name, "known": ", ".join("{" + p + "}" for p in PLACEHOLDERS)}
            )
    return problems


class _PlaceholderFiller(HTMLParser):
    """Rebuilds sanitised HTML, filling {name} only where it is text: in a text node
    outside a link, with the value's trusted HTML; inside a link or an attribute, with its
    plain text, escaped. A value therefore never lands inside an attribute or a tag."""

    def __init__(self, html_values: dict[str, str], text_values: dict[str, str]):
        super().__init__(convert_charrefs=True)
        self.html_values, self.text_values = html_values, text_values
        self.out: list[str] = []
        self.links = 0

    def _text(self, value: str) -> str:
        return PLACEHOLDER_RE.sub(lambda m: self.text_values.get(m.group(1), m.group(0)), value)

    def _tag(self, tag, attrs) -> str:
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{html_escape(self._text(value))}"' for name, value in attrs
        )
        return f"<{tag}{rendered}>"

    def handle_starttag(self, tag, attrs):
        self.links += tag == "a"
        self.out.append(self._tag(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs))

    def handle_endtag(self, tag):
        self.links -= tag == "a" and self.links > 0
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        escaped = html_escape(data, quote=False)
        if self.links:
            self.out.append(html_escape(self._text(data), quote=False))
        else:
            self.out.append(PLACEHOLDER_RE.sub(lambda m: self.html_values.get(m.group(1), m.group(0)), escaped))


def fill_placeholders(html: str, *, values: dict[str, str], text_values: dict[str, str] | None = None) -> str:
    """Replace {name} in already-sanitised HTML. `values` are trusted HTML, used only in
    text outside links; `text_values` (plain text, escaped here; by default `values`
    with their tags stripped) serve inside links and attributes."""
    if "{" not in html:
        return html
    if text_values is None:
        text_values = {name: html_unescape(strip_tags(value)) for name, value in values.items()}
    filler = _PlaceholderFiller(values, text_values)
    filler.feed(html)
    filler.close()
    return "".join(filler.out)


def phone_link(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone)
    if digits and not digits.startswith("+") and len(digits) == 10:
        digits = "+1" + digits
    return f'<a href="tel:{escape(digits)}">{escape(phone)}</a>'
