from django.db import transaction

from education import pages


def clinic_content_changed(sender, **kwargs):
    pages.invalidate()
    transaction.on_commit(pages.invalidate)
