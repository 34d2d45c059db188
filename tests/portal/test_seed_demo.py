from django.core.management import call_command

from portal.models import Patient, Role, User


def test_seed_demo_is_idempotent_and_prints_the_logins(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "frontdesk@clinic.example" in out and "clinician@clinic.example" in out and "patient@clinic.example" in out
    assert User.objects.count() == 3
    assert Patient.objects.count() == 1
    assert User.objects.get(email="clinician@clinic.example").has_role(Role.CLINICIAN)
