from django.urls import path

from screening import views

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
]
