"""Finding a patient: by any part of the name, email, phone in any format, or date of birth.

What the front desk types is read leniently (accents and case aside, a phone number by its
digits, a date of birth in the ways people write one) and answered with a capped list; text
that cannot be a search (too long, invisible characters) answers a message, never an error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Q

from portal.models import Patient, digits_only, search_text
from portal.validators import control_characters

MAX_QUERY = 100
MAX_RESULTS = 50
# Fewer digits than this match too many phone numbers to be a phone search.
MIN_PHONE_DIGITS = 3
DATE_FORMATS = (
    "%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y",
    "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%Y/%m/%d",
)


@dataclass
class SearchResult:
    query: str
    patients: list[Patient] = field(default_factory=list)
    message: str = ""
    capped: bool = False
    # True when the text could not be searched at all (too long, invisible characters).
    refused: bool = False


def date_read(text: str) -> dt.date | None:
    """A date of birth as people type it: 1984-03-07, 03/07/1984, "March 7 1984", "7 Mar 1984"."""
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip(), flags=re.IGNORECASE)
    cleaned = " ".join(cleaned.replace(",", ", ").split()).replace(" ,", ",")
    for candidate in (cleaned, cleaned.replace(",", "")):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    return None


def query_problem(query: str) -> str:
    if len(query) > MAX_QUERY:
        return f"Type at most {MAX_QUERY} characters: part of a name, an email, a phone number or a date of birth."
    if control_characters(query):
        return "Remove the invisible characters from the search and try again."
    return ""


def patient_filter(query: str) -> Q:
    """Everyone the text could mean, any field matching."""
    words = search_text(query).split()
    found = Q(pk__in=[])
    if words:
        name = Q()
        for word in words:
            name &= Q(search_name__contains=word)
        found |= name
    found |= Q(email__icontains=query)
    digits = digits_only(query)
    # A phone search is mostly digits; "Maria 2" is not a phone number.
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) * 2 >= len(re.sub(r"\s", "", query)):
        found |= Q(phone_digits__contains=digits)
    born = date_read(query)
    if born is not None:
        found |= Q(date_of_birth=born)
    return found


def patient_search(*, query: str, limit: int = MAX_RESULTS) -> SearchResult:
    query = " ".join((query or "").split()) if isinstance(query, str) else ""
    result = SearchResult(query=query)
    if not query:
        return result
    result.message = query_problem(query)
    if result.message:
        result.refused = True
        return result
    found = list(Patient.objects.filter(patient_filter(query)).order_by("last_name", "first_name", "pk")[: limit + 1])
    result.capped = len(found) > limit
    result.patients = found[:limit]
    if not result.patients:
        result.message = "No patient matches. Check the spelling, or try the email, phone or date of birth."
    return result
