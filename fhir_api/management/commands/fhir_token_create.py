"""`manage.py fhir_token_create --email <clinician email>`: print a new FHIR API bearer token, once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fhir_api.services import access_token_create


class Command(BaseCommand):
    help = "Make a bearer token that reads the FHIR API as a clinician; the token is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The clinician's email address.")
        parser.add_argument("--days", type=int, default=None, help="How long it works (default FHIR_TOKEN_VALID_DAYS).")

    def handle(self, *args, email, days, **options):
        try:
            token, raw = access_token_create(email=email, days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        # The raw token alone on stdout, so scripts can capture it; the rest goes to stderr.
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.prefix}… for {token.user.email}, valid until {token.expires_at:%Y-%m-%d %H:%M %Z}. "
            "It is shown only now; revoke it with `manage.py fhir_token_revoke`."
        )
