from django.urls import path

from education import views

app_name = "education"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.guide, name="guide"),
]
