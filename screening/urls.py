from django.urls import path

from screening import consent_views, views

app_name = "screening"

urlpatterns = [
    path("", views.start, name="start"),
    path("step/<int:number>/", views.step, name="step"),
    path("result/", views.result, name="result"),
    path("send/", views.send, name="send"),
    path("sent/", views.sent, name="sent"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/reconcile/", views.reconcile, name="reconcile"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("consent/", consent_views.consent, name="consent"),
    path("consent/<int:pk>/", consent_views.consent_copy, name="consent_copy"),
    path("consent/patient/<int:patient_pk>/sign/", consent_views.consent_staff_sign, name="consent_staff_sign"),
]
