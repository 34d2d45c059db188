from screening.models import Clearance, Screening


def seed(*, personas, stdout):
    """The demo patient has a screening on file and is cleared by the demo clinician,
    so the front desk can book them."""
    from portal.models import Patient, Role
    from screening.services import checklist_version_current

    patient = personas["patient_record"]
    clinician = personas[Role.CLINICIAN]
    if not Screening.objects.filter(submission_key="demo-patient-screening").exists():
        version = checklist_version_current()
        answers = dict.fromkeys(version.codes, "no")
        Screening.objects.create(
            patient=patient,
            version=version,
            answers=[
                {"code": item["code"], "question": item["plain"], "term": item["term"], "answer": answers[item["code"]]}
                for item in version.conditions
            ],
            outcome="clear",
            flagged=[],
            consent_at=patient.created_at,
            submission_key="demo-patient-screening",
        )
    if not Patient.objects.cleared().filter(pk=patient.pk).exists():
        clearance = Clearance.objects.create(patient=patient, clinician=clinician, note="Demo clearance.")
        Screening.objects.filter(submission_key="demo-patient-screening").update(clearance=clearance)
