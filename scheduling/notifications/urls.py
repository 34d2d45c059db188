"""Staff pages for the notification outbox, under /staff/notifications/."""

from django.urls import path

from scheduling.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.attention, name="attention"),
    path("patients/<int:patient_id>/", views.patient_log, name="patient-log"),
    path("<int:pk>/resend/", views.resend, name="resend"),
]
