from django.urls import path

from fhir_api import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<str:pk>", views.patient_read, name="patient"),
    path("QuestionnaireResponse", views.search_view("QuestionnaireResponse"), name="questionnaireresponse-search"),
    path("Observation", views.search_view("Observation"), name="observation-search"),
    path("Appointment", views.search_view("Appointment"), name="appointment-search"),
    # Anything else under /fhir/ is a FHIR 404 (an OperationOutcome), not the portal's HTML page.
    path("<path:rest>", views.not_served, name="not-served"),
]
