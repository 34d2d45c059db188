from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        from portal import roles

        # Groups are (re)given their permissions after every migrate, when every
        # app's permissions exist.
        post_migrate.connect(roles.roles_sync, dispatch_uid="portal.roles_sync")

        from django.contrib.auth.signals import user_logged_in

        from portal.middleware import session_start

        # The absolute session lifetime counts from sign-in.
        user_logged_in.connect(session_start, dispatch_uid="portal.session_start")

        from portal.two_factor.services import grace_start

        # A staff account's first sign-in starts its grace period for two-step sign-in.
        user_logged_in.connect(grace_start, dispatch_uid="portal.two_factor_grace_start")
