from django.urls import path

from symptoms import views

app_name = "symptoms"

urlpatterns = [
    path("", views.home, name="home"),
    path("answer/", views.answer, name="answer"),
    path("answer/<int:session_pk>/", views.answer, name="answer-session"),
    path("<int:pk>/", views.result, name="result"),
    path("patient/<int:patient_pk>/", views.patient_chart, name="patient"),
    path("alerts/<int:pk>/review/", views.alert_resolve, name="alert-review"),
    path("alerts/<int:pk>/contact/", views.alert_contact, name="alert-contact"),
]
