from screening.models import Clearance


def seed(*, personas, stdout):
    """The demo patient is cleared by the demo clinician, so the front desk can book them."""
    from portal.models import Role

    patient = personas["patient_record"]
    if not Clearance.objects.filter(patient=patient, decision=Clearance.Decision.CLEARED).exists():
        Clearance.objects.create(
            patient=patient, clinician=personas[Role.CLINICIAN], note="Demo clearance.",
        )
