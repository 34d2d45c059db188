"""{{ moment|clinic_day }}: a short date ("Dec 3") in the clinic's time zone, for page titles."""

import datetime as dt

from django import template
from django.utils.dateformat import format as date_format

from portal.clock import local_date

register = template.Library()


@register.filter
def clinic_day(moment) -> str:
    if isinstance(moment, dt.datetime):
        moment = local_date(moment)
    if not isinstance(moment, dt.date):
        return ""
    return date_format(moment, "M j")
