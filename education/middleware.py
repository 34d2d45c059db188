"""Whole guide pages for visitors who are not signed in, straight from the cache.

Patients read the guide before they have an account, often from a link shared
by the clinic: those requests carry no session, so every one of them gets the
same bytes. This middleware sits just inside whitenoise and answers them from
the Django cache without running the rest of the stack (sessions, CSRF, auth,
axes, templates): the cached response carries the headers the full stack gave
it (CSP, X-Frame-Options, Vary), and the outer middleware (security headers,
request log) still runs. Anything with a session or a pending message cookie
goes through the full stack as usual. (The stored response keeps its
`Vary: Cookie`: it was built for a request without a session, which is the only
kind this middleware answers.)

Entries carry the content version they were built under (see education.pages),
so a publish, a change to the clinic's settings or to a condition is visible at
once.
"""

from __future__ import annotations

import gzip
import re
from functools import cache as memoize

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from education import pages

MESSAGES_COOKIE = "messages"
MAX_PATH = 200


@memoize
def _education_path() -> re.Pattern:
    """/learn/ and /learn/<slug>/ (education/urls.py), matched without running the resolver."""
    return re.compile(rf"^{re.escape(reverse('education:index'))}(?:[-a-zA-Z0-9_]+/)?$")


# Headers that belong to one response only.
SKIP_HEADERS = {"set-cookie", "date", "content-length"}


class GuidePageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._shareable(request):
            return self.get_response(request)
        key = f"education:page:{settings.LANGUAGE_CODE}:{request.path}"
        entry = pages.local_get(key)
        if entry is None:
            version, entry = pages.fetch(key)
            if entry is not None:
                pages.local_put(key, entry)
        if entry is not None:
            # The page holds nothing secret (no session, no CSRF token), so compressing
            # it cannot leak anything (BREACH needs a secret in the body).
            zipped = "gzip" in request.headers.get("Accept-Encoding", "")
            content = entry["gzipped"] if zipped else entry["content"]
            response = HttpResponse(content, status=entry["status"])
            for name, value in entry["headers"]:
                response[name] = value
            patch_vary_headers(response, ("Accept-Encoding",))
            if zipped:
                response["Content-Encoding"] = "gzip"
            response["Content-Length"] = str(len(content))
            return response
        response = self.get_response(request)
        if self._storable(response):
            headers = [(name, value) for name, value in response.items() if name.lower() not in SKIP_HEADERS]
            pages.store(
                key,
                {
                    "version": version,
                    "status": response.status_code,
                    "headers": headers,
                    "content": response.content,
                    "gzipped": gzip.compress(response.content, mtime=0),
                },
            )
        return response

    @staticmethod
    def _shareable(request) -> bool:
        if request.method != "GET" or request.GET or len(settings.LANGUAGES) != 1:
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES or MESSAGES_COOKIE in request.COOKIES:
            return False
        # Guide slugs are short; a long made-up one would only make a long cache key (memcached
        # refuses keys over 250 bytes) for a page that is a 404 anyway.
        return len(request.path) <= MAX_PATH and _education_path().match(request.path_info) is not None

    @staticmethod
    def _storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.has_header("Content-Encoding")
            and not response.cookies
            and not response.has_header("Cache-Control")
        )
