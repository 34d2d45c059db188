from django.db import transaction

from education import pages


def clinic_content_changed(sender, **kwargs):
    pages.invalidate()
    transaction.on_commit(pages.invalidate)


def ensure_clinic_guide(sender, apps=None, **kwargs):
    """Reload the clinic's guide when the education tables are empty after a migrate.

    `migrate` loads it once (migration 0002); this only matters after a `flush`,
    which empties the tables and then sends post_migrate (as browser tests do
    between tests). A guide staff removed on purpose is never brought back while
    any guide exists."""
    from importlib import import_module

    if apps is None:  # flush sends post_migrate without the migration state
        from django.apps import apps
    try:
        Guide = apps.get_model("education", "Guide")
    except LookupError:
        return
    if Guide.objects.exists():
        return
    import_module("education.migrations.0002_ketamine_guide").load_guide(apps, None)
    # The guide as its later content migrations left it (US spelling, plainer words).
    import_module("education.migrations.0003_guide_us_spelling_and_plain_words").forwards(apps, None)
