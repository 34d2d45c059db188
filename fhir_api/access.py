"""Who may read the FHIR API: a signed-in clinician, or a system holding a live bearer
token made for a clinician. Everyone else gets an OperationOutcome: 401 with no
credentials or a bad token, 403 for a signed-in user who is not a clinician."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from fhir_api.models import AccessToken
from fhir_api.search import FhirError
from portal.models import Role, User

CHALLENGE = 'Bearer realm="fhir"'


@dataclass(frozen=True)
class Reader:
    user: User
    token: AccessToken | None = None

    @property
    def via(self) -> dict:
        if self.token is None:
            return {"via": "session"}
        return {"via": "token", "token": self.token.prefix}


class Unauthorized(FhirError):
    def __init__(self, message: str, challenge: str = CHALLENGE):
        super().__init__(401, "login", message)
        self.challenge = challenge


def _from_token(header: str) -> Reader:
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send Authorization: Bearer <token>.", f'{CHALLENGE}, error="invalid_request"')
    token = (
        AccessToken.objects.live(timezone.now()).with_token(raw.strip()).select_related("user").first()
    )
    if token is None:
        raise Unauthorized("The token is unknown, revoked or expired.", f'{CHALLENGE}, error="invalid_token"')
    if not token.user.has_role(Role.CLINICIAN):
        raise FhirError(403, "forbidden", "The token's account is no longer an active clinician.")
    return Reader(user=token.user, token=token)


def reader(request) -> Reader:
    """The clinician a request reads as, or FhirError."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        return _from_token(header)
    user = request.user
    if not user.is_authenticated:
        raise Unauthorized("Sign in as a clinician or send a bearer token.")
    if not user.has_role(Role.CLINICIAN):
        raise FhirError(403, "forbidden", "Only clinicians may read the FHIR API.")
    return Reader(user=user)
