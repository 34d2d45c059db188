from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import records, views
from portal.forms import EmailAuthenticationForm, NewPasswordForm, ThrottledPasswordResetForm
from portal.two_factor import views as two_factor_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon),
    path("me/", views.me, name="me"),
    path("me/channel/", views.me_channel, name="me-channel"),
    path("me/intake/", include("screening.intake_urls")),
    path("staff/", views.staff, name="staff"),
    path("staff/notifications/", include("scheduling.notifications.urls")),
    path("staff/patients/", records.search, name="patient-search"),
    path("staff/patients/<int:pk>/", records.record, name="patient-record"),
    path("staff/patients/<int:pk>/edit/", records.edit, name="patient-edit"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/two-factor/", two_factor_views.manage, name="two-factor-manage"),
    path("accounts/two-factor/verify/", two_factor_views.verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two-factor-setup"),
    path("accounts/two-factor/setup/<str:token>/", two_factor_views.setup_link, name="two-factor-setup-link"),
    path("accounts/two-factor/recovery-codes/", two_factor_views.recovery_codes, name="two-factor-codes"),
    path("accounts/after-login/", views.after_login, name="after-login"),
    path("accounts/keepalive/", views.keepalive, name="keepalive"),
    path("accounts/invite/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=ThrottledPasswordResetForm),
        name="password_reset",
    ),
    # Django's own view, with the portal's error pattern on the new-password form.
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("learn/", include("education.urls")),
    # PHQ-9 reviews lived under /screening/symptoms/ until they became the symptoms app.
    path("screening/symptoms/", include("symptoms.moved_urls")),
    path("screening/", include("screening.urls")),
    path("symptoms/", include("symptoms.urls")),
    path("", include("scheduling.urls")),
    path("fhir/", include("fhir_api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
