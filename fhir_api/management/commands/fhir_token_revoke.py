"""`manage.py fhir_token_revoke <token or prefix>` or `--email <clinician>` (all their tokens)."""

from django.core.management.base import BaseCommand, CommandError

from fhir_api.models import AccessToken
from fhir_api.services import access_token_revoke


class Command(BaseCommand):
    help = "Stop FHIR API bearer tokens working: one token (the token itself or its printed prefix), or --email for all of a clinician's."

    def add_arguments(self, parser):
        parser.add_argument("token", nargs="?", help="The token, or its first characters as listed (fhir_xxxxxx).")
        parser.add_argument("--email", help="Revoke every live token of this clinician.")

    def handle(self, *args, token, email, **options):
        if bool(token) == bool(email):
            raise CommandError("Give either a token (or its prefix) or --email.")
        rows = AccessToken.objects.filter(revoked_at__isnull=True)
        if email:
            rows = rows.filter(user__email__iexact=email.strip())
        else:
            rows = rows.filter(token_hash=AccessToken.hash(token)) | rows.filter(prefix=token)
        found = list(rows.select_related("user"))
        if not found:
            raise CommandError("No live token matches.")
        if not email and len(found) > 1:
            raise CommandError("That prefix matches several tokens; give the whole token or --email.")
        for row in found:
            access_token_revoke(token=row)
            self.stdout.write(f"Revoked {row.prefix}… of {row.user.email}.")
