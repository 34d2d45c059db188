"""Access tokens for systems (an EHR) that read the FHIR API on a clinician's behalf."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessTokenQuerySet(models.QuerySet):
    def live(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def with_token(self, token: str):
        """The token row for a raw bearer token (only its hash is stored)."""
        if not token or len(token) > 200:
            return self.none()
        return self.filter(token_hash=AccessToken.hash(token))


class AccessToken(models.Model):
    """A bearer token made by `manage.py fhir_token_create`. Every read made with it is
    audited as its clinician. Only a SHA-256 hash is stored: a database leak does not leak
    live tokens (a token is 256 random bits, so an unsalted fast hash is enough)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    # The token's first characters, so a clinician or an admin can tell tokens apart.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"FHIR token {self.prefix}… for {self.user}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
