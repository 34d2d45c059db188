"""The addresses the reviews had under /screening/symptoms/ before they became this app,
included by the root URLconf (by name, so the portal imports no app)."""

from django.urls import re_path

from symptoms.views import moved_permanently

urlpatterns = [re_path(r"^(?P<rest>.*)$", moved_permanently)]
