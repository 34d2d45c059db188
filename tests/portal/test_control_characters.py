"""Security review #7: names with CR/LF were accepted by the public forms and later broke the
clinicians' email; one rule now refuses control characters in every text a person types."""

import pytest
from django.core.exceptions import ValidationError

from portal.services import patient_register
from portal.validators import NoControlCharacters
from screening.forms import SendForm
from screening.services import clearance_record

BAD = ["Eve\nBcc: all@example.com", "Eve\rX", "Eve\x1b[31m", "Eve\u202e", "Eve\x07"]


@pytest.mark.parametrize("name", BAD)
def test_the_public_send_form_refuses_control_characters_in_a_name(name):
    form = SendForm(data={"first_name": name, "last_name": "Smith", "email": "eve@example.com", "consent": "on"})
    assert not form.is_valid()
    assert "first_name" in form.errors
    assert "invisible" in str(form.errors["first_name"])


@pytest.mark.parametrize("name", BAD)
def test_the_service_refuses_them_too_and_writes_nothing(db, name):
    from portal.models import Patient

    with pytest.raises(ValidationError) as refused:
        patient_register(first_name=name, last_name="Smith", email="eve@example.com")
    assert "first_name" in refused.value.message_dict
    assert not Patient.objects.exists()


def test_ordinary_names_pass():
    for name in ("José-María", "O'Brien", "Nguyễn Thị", "李"):
        NoControlCharacters()(name)


def test_a_note_may_have_line_breaks_but_not_other_control_characters(patient, clinician):
    clearance = clearance_record(patient=patient, clinician=clinician, note="Seen today.\nBP fine.\tOK")
    assert "\n" in clearance.note
    with pytest.raises(ValidationError):
        clearance_record(patient=patient, clinician=clinician, note="Seen\x1b today")
