from django.apps import AppConfig


class EducationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "education"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from education.services import side_effects_by_frequency
        from education.signals import clinic_content_changed, ensure_clinic_guide
        from screening.consent import register_insert

        # The consent form shows the guide's side effects: one source, never a copy.
        register_insert("side_effects", side_effects_by_frequency)

        post_migrate.connect(ensure_clinic_guide, sender=self, dispatch_uid="education-ensure-clinic-guide")

        # The guide shows the no-driving hours and the clinic's conditions: a change
        # to either must reach patients at once, not when a cached page expires.
        for model in ("portal.ClinicSettings", "screening.Condition"):
            post_save.connect(clinic_content_changed, sender=model, dispatch_uid=f"education-{model}-save")
            post_delete.connect(clinic_content_changed, sender=model, dispatch_uid=f"education-{model}-delete")
