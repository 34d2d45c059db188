from django.urls import path

from screening import intake_views

app_name = "intake"

urlpatterns = [
    path("", intake_views.review, name="review"),
    path("<slug:name>/", intake_views.step, name="step"),
]
