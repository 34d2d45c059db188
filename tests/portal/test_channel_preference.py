from portal.models import AuditEvent


def test_a_patient_chooses_text_messages_for_reminders(patient_client, patient):
    response = patient_client.post("/me/channel/", {"preferred_channel": "sms"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.preferred_channel == "sms"
    assert AuditEvent.objects.filter(action="patient.channel_set", patient=patient).exists()


def test_choosing_a_channel_without_that_contact_is_refused_with_a_message(patient_client, patient):
    patient.phone = ""
    patient.save()
    response = patient_client.post("/me/channel/", {"preferred_channel": "sms"})
    assert response.status_code == 400
    assert "no phone number" in response.content.decode()
    patient.refresh_from_db()
    assert patient.preferred_channel == ""


def test_a_tampered_channel_value_gets_the_form_back(patient_client, patient):
    response = patient_client.post("/me/channel/", {"preferred_channel": "carrier-pigeon"})
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.preferred_channel == ""


def test_the_choice_steers_the_notification_channel(patient):
    from scheduling.notifications.plan import patient_channel

    assert patient_channel(patient) == "email"
    patient.preferred_channel = "sms"
    assert patient_channel(patient) == "sms"
    patient.phone = ""
    assert patient_channel(patient) == "email", "a choice without the contact detail falls back"


def test_staff_cannot_set_a_patients_channel_through_me(front_desk_client):
    assert front_desk_client.post("/me/channel/", {"preferred_channel": "sms"}).status_code == 403


def test_get_is_not_allowed(patient_client):
    assert patient_client.get("/me/channel/").status_code == 405
