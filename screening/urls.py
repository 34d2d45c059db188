from django.urls import path

from screening import symptom_views, views

app_name = "screening"

urlpatterns = [
    path("", views.start, name="start"),
    path("step/<int:number>/", views.step, name="step"),
    path("result/", views.result, name="result"),
    path("send/", views.send, name="send"),
    path("sent/", views.sent, name="sent"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("symptoms/", symptom_views.home, name="symptoms"),
    path("symptoms/answer/", symptom_views.answer, name="symptoms-answer"),
    path("symptoms/answer/<int:session_pk>/", symptom_views.answer, name="symptoms-answer-session"),
    path("symptoms/<int:pk>/", symptom_views.result, name="symptoms-result"),
    path("symptoms/patient/<int:patient_pk>/", symptom_views.patient_chart, name="symptoms-patient"),
    path("symptoms/alerts/<int:pk>/review/", symptom_views.alert_resolve, name="symptoms-alert-review"),
]
