"""FHIR search parameters: parsing (a bad value is a FhirError, answered 400) and paging.

Supported: `patient` (required), `_count`, `_offset` (the paging cursor in our next
links), `_lastUpdated` and one date parameter per resource type (`date`, or `authored`
for QuestionnaireResponse), each with the prefixes eq, gt, lt, ge, le, sa and eb, and
repeatable (`date=ge2026-01-01&date=lt2026-02-01`). Any other parameter is refused with
400, so a client never mistakes an unfiltered answer for a filtered one, unless the client
asks for `Prefer: handling=lenient`: then unknown parameters are ignored, left out of the
self link and named in an OperationOutcome entry (FHIR R4 search, "Handling errors")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 100_000
# Result parameters any search takes; _format is read by the views.
COMMON = ("patient", "_count", "_offset", "_lastUpdated", "_format")
ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
DATE = re.compile(
    r"(?P<prefix>eq|gt|lt|ge|le|sa|eb)?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,9})?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?",
    re.ASCII,
)


class FhirError(Exception):
    """A request the API answers with an OperationOutcome: HTTP status, issue code, message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad(message: str) -> FhirError:
    return FhirError(400, "invalid", message)


def database_id(value: str, what: str) -> int | None:
    """A FHIR id as one of our primary keys: None for a well-formed id we cannot hold (so
    the resource does not exist), FhirError for a malformed one."""
    if not ID.fullmatch(value or ""):
        raise bad(f"{what} {value!r} is not a valid FHIR id.")
    if not value.isdigit() or len(value) > 18 or int(value) == 0:
        return None
    return int(value)


def _one(params, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise bad(f"Give {name} once.")
    return values[0] if values else None


def _whole_number(params, name: str, default: int, most: int) -> int:
    value = _one(params, name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise bad(f"{name} must be a whole number of 0 or more, not {value!r}.")
    if int(value) > most and name == "_offset":
        raise bad(f"{name} is at most {most}.")
    return min(int(value), most)


def patient_id(params) -> int | None:
    value = _one(params, "patient")
    if value is None or value == "":
        raise bad("Searches need a patient: ?patient=<id>.")
    if value.startswith("Patient/"):
        value = value.removeprefix("Patient/")
    return database_id(value, "patient")


def _range(match, tz) -> tuple[dt.datetime, dt.datetime]:
    """The span a date value stands for: a year, a month, a day, a minute or a second."""
    year, month, day = int(match["year"]), int(match["month"] or 1), int(match["day"] or 1)
    if match["hour"] is None:
        start = dt.datetime(year, month, day, tzinfo=tz)
        if match["day"]:
            return start, start + dt.timedelta(days=1)
        if match["month"]:
            return start, (start + dt.timedelta(days=32)).replace(day=1)
        return start, start.replace(year=year + 1)
    zone = tz
    if match["tz"] == "Z":
        zone = dt.UTC
    elif match["tz"]:
        sign = 1 if match["tz"][0] == "+" else -1
        hours, minutes = int(match["tz"][1:3]), int(match["tz"][4:6])
        zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    second = match["second"]
    start = dt.datetime(year, month, day, int(match["hour"]), int(match["minute"]), int(second or 0), tzinfo=zone)
    return start, start + (dt.timedelta(seconds=1) if second else dt.timedelta(minutes=1))


def date_filter(params, name: str, field: str, tz) -> Q:
    """Every `name` value as a condition on `field`, all of them to hold."""
    condition = Q()
    for value in params.getlist(name):
        match = DATE.fullmatch(value)
        try:
            if not match:
                raise ValueError
            start, end = _range(match, tz)
        except (ValueError, OverflowError):
            raise bad(f"{name} {value!r} is not a FHIR date such as 2026-03-01 or ge2026-03-01T09:00:00Z.") from None
        prefix = match["prefix"] or "eq"
        condition &= {
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "gt": Q(**{f"{field}__gte": end}),
            "sa": Q(**{f"{field}__gte": end}),
            "ge": Q(**{f"{field}__gte": start}),
            "lt": Q(**{f"{field}__lt": start}),
            "eb": Q(**{f"{field}__lt": start}),
            "le": Q(**{f"{field}__lt": end}),
        }[prefix]
    return condition


@dataclass(frozen=True)
class Page:
    count: int
    offset: int

    @classmethod
    def from_params(cls, params) -> Page:
        return cls(
            count=_whole_number(params, "_count", DEFAULT_COUNT, MAX_COUNT),
            offset=_whole_number(params, "_offset", 0, MAX_OFFSET),
        )


def lenient(request) -> bool:
    prefer = request.META.get("HTTP_PREFER", "")
    return any(part.strip().lower() == "handling=lenient" for part in prefer.split(";") + prefer.split(","))


def unknown_params(params, allowed: tuple[str, ...], *, ignore: bool) -> list[str]:
    """Parameters this server does not support: refused, or listed to be ignored."""
    unknown = sorted(set(params) - set(allowed))
    if unknown and not ignore:
        raise bad(f"This server does not support the search parameter(s) {', '.join(unknown)}; "
                  f"it supports {', '.join(sorted(allowed))}.")
    return unknown


def links(url: str, params, page: Page, total: int, ignored: list[str] = ()) -> list[dict]:
    """self, and next and previous where there are more results that way; parameters that
    were ignored are left out, so the links say what the results answer."""

    def at(offset: int) -> dict:
        skip = {"_offset", "_count", *ignored}
        query = [(k, v) for k in params for v in params.getlist(k) if k not in skip]
        query += [("_count", page.count), ("_offset", offset)]
        return f"{url}?{urlencode(query)}"

    found = [{"relation": "self", "url": at(page.offset)}]
    if page.count and page.offset + page.count < total:
        found.append({"relation": "next", "url": at(page.offset + page.count)})
    if page.offset and page.count:
        found.append({"relation": "previous", "url": at(max(page.offset - page.count, 0))})
    return found
