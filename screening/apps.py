from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "screening"

    def ready(self):
        from django.db.models.signals import post_migrate

        from screening.checklist import checklist_reload_if_empty

        # `flush` (run between transactional tests, and by hand) empties the tables the
        # data migration filled, then sends post_migrate: reload the clinic's list.
        post_migrate.connect(checklist_reload_if_empty, sender=self, dispatch_uid="screening.checklist_reload")
        # The same for the consent form: patients always have a published version to sign.
        from screening.consent import consent_seed_if_empty

        post_migrate.connect(consent_seed_if_empty, sender=self, dispatch_uid="screening.consent_seed")
