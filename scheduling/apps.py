from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"

    def ready(self):
        from django.db.models.signals import post_save

        from scheduling.signals import no_driving_hours_changed, opening_hours_default

        post_save.connect(
            opening_hours_default, sender="portal.ClinicSettings", dispatch_uid="scheduling-opening-hours-default"
        )
        post_save.connect(
            no_driving_hours_changed, sender="portal.ClinicSettings", dispatch_uid="scheduling-no-driving-replan"
        )
