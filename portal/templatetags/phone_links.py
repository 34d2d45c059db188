"""`{% filter phone_links %}...{% endfilter %}`: every phone number in the text, 911 and 988
included, becomes a `tel:` link that never breaks mid-number (class "tel": white-space: nowrap).
base.html and the email layout wrap their whole body in it, so a number typed in any template,
setting or guide text is a link with no per-page code. A builtin of every template."""

import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

PHONE = re.compile(
    r"(?<![\w:/.+-])("
    r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}"
    r"|911|988"
    r")(?![\w:/-])"
)
TAG = re.compile(r"(<[^>]*>)")
# Inside these, text is not content a person reads as a link (or a link already).
NO_LINKS = ("a", "script", "style", "title", "textarea", "option", "button", "label", "h1", "h2", "h3", "th")


def _link(match: re.Match) -> str:
    number = match.group(1)
    digits = re.sub(r"\D", "", number)
    target = digits if len(digits) == 3 else f"+1{digits[-10:]}"
    return f'<a class="tel" href="tel:{target}">{number}</a>'


def link_phone_numbers(html: str) -> str:
    out, inside = [], []
    for part in TAG.split(html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            name = name.group(1).lower() if name else ""
            if name in NO_LINKS and not part.endswith("/>"):
                if part.startswith("</"):
                    if name in inside:
                        del inside[len(inside) - 1 - inside[::-1].index(name)]
                else:
                    inside.append(name)
            out.append(part)
        else:
            out.append(part if inside else PHONE.sub(_link, part))
    return "".join(out)


@register.filter(is_safe=True)
def phone_links(value):
    return mark_safe(link_phone_numbers(str(value)))
