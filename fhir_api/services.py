"""Making and revoking the FHIR API's bearer tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fhir_api.models import AccessToken
from portal.models import Role, User
from portal.services import audit_record

TOKEN_PREFIX = "fhir_"


def access_token_create(*, email: str, days: int | None = None, now: dt.datetime | None = None) -> tuple[AccessToken, str]:
    """A new token that reads the FHIR API as the clinician with `email`; returns the row and
    the raw token, which is shown once and never stored."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None or not user.has_role(Role.CLINICIAN):
        raise ValidationError(f"No active clinician has the email address {email!r}.")
    days = settings.FHIR_TOKEN_VALID_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise ValidationError("A token lasts from 1 to 366 days.")
    now = now or timezone.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=user, token_hash=AccessToken.hash(raw), prefix=raw[: len(TOKEN_PREFIX) + 6],
            created_at=now, expires_at=now + dt.timedelta(days=days),
        )
        audit_record(actor=user, action="fhir.token_create", obj=token, detail={"expires_at": token.expires_at.isoformat()})
    return token, raw


def access_token_revoke(*, token: AccessToken, now: dt.datetime | None = None) -> bool:
    """Stop a token working at once; False when it was already revoked."""
    with transaction.atomic():
        changed = AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now()
        )
        if changed:
            audit_record(actor=token.user, action="fhir.token_revoke", obj=token)
    return bool(changed)
