"""{% error_title_prefix %} for <title> and {% error_summary %} for the top of <main> (portal.form_errors)."""

from django import template
from django.utils.translation import gettext as _

from portal.form_errors import page_error_items

register = template.Library()

CACHE_KEY = "_page_error_items"


def _items(context) -> list:
    # base.html asks twice (title, summary): the forms are looked at once per render.
    render_context = context.render_context
    if CACHE_KEY not in render_context:
        render_context[CACHE_KEY] = page_error_items(context.flatten())
    return render_context[CACHE_KEY]


@register.simple_tag(takes_context=True)
def page_has_errors(context) -> bool:
    return bool(_items(context))


@register.simple_tag(takes_context=True)
def error_title_prefix(context) -> str:
    return _("Error:") + " " if _items(context) else ""


@register.inclusion_tag("includes/error_summary.html", takes_context=True)
def error_summary(context) -> dict:
    # A page may name its problems its own way ("Please answer every question before you go on").
    return {"items": _items(context), "title": context.get("error_summary_title", "")}
