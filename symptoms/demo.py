from symptoms.services import phq9_record


def seed(*, personas, stdout):
    """A baseline PHQ-9 for the demo patient, so their chart has a starting point."""
    phq9_record(patient=personas["patient_record"], answers=[2, 2, 2, 1, 1, 1, 1, 0, 0])
