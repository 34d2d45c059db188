"""`{{ moment|day:"l, F j" }}`: a date as portal.clock.day_text says it (the year added when a
patient could place it in the wrong one). A builtin of every template (settings.TEMPLATES)."""

from django import template

from portal.clock import day_text

register = template.Library()


@register.filter
def day(value, fmt: str = "l, F j"):
    if value in (None, ""):
        return ""
    return day_text(value, fmt)
