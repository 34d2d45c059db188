"""Staff-typed text: Markdown, rendered and then sanitised with nh3.

Nothing a staff member types reaches a patient's browser unsanitised: the admin
refuses text with tags or attributes outside the allow-list (so staff learn what
went wrong), and rendering sanitises again whatever got past (data loaded by
code, older rows).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown
import nh3
from django.utils.html import escape
from django.utils.translation import gettext as _

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "a", "abbr", "dfn", "ul", "ol", "li", "code", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "dfn": {"title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "embed", "source", "track"}

# Values filled in when the page is rendered, so the guide follows the clinic's
# settings instead of carrying a copy of them.
PLACEHOLDERS = ("no_driving_hours", "clinic_phone")
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


def render_markdown(text: str, *, inline: bool = False) -> str:
    """Markdown to sanitised HTML. `inline` drops the wrapping <p> of a one-paragraph
    text, for list items and table cells."""
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


def fill_placeholders(html: str, *, values: dict[str, str]) -> str:
    """Replace {name} in already-sanitised HTML with escaped values (or trusted HTML in `values`)."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), html)


def phone_link(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone)
    if digits and not digits.startswith("+") and len(digits) == 10:
        digits = "+1" + digits
    return f'<a href="tel:{escape(digits)}">{escape(phone)}</a>'
