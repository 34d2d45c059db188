"""One rule for "cleared": Patient.objects.cleared(), the newest clinician decision wins."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.models import Patient
from screening.models import Clearance

pytestmark = pytest.mark.django_db


def decide(patient, clinician, decision, *, at=None):
    return Clearance.objects.create(
        patient=patient, clinician=clinician, decision=decision, note="test", decided_at=at or timezone.now()
    )


def test_a_patient_without_any_decision_is_not_cleared(patient):
    assert not Patient.objects.cleared().exists()


def test_a_cleared_patient_is_listed_and_others_are_not(patient, other_patient, clinician):
    decide(patient, clinician, Clearance.Decision.CLEARED)
    decide(other_patient, clinician, Clearance.Decision.NOT_SUITABLE)
    assert list(Patient.objects.cleared()) == [patient]


def test_a_later_decision_takes_a_clearance_back(patient, clinician):
    earlier = timezone.now() - dt.timedelta(days=1)
    decide(patient, clinician, Clearance.Decision.CLEARED, at=earlier)
    decide(patient, clinician, Clearance.Decision.MORE_INFO)
    assert not Patient.objects.cleared().exists()


def test_a_clearance_after_a_refusal_counts(patient, clinician):
    earlier = timezone.now() - dt.timedelta(days=1)
    decide(patient, clinician, Clearance.Decision.NOT_SUITABLE, at=earlier)
    decide(patient, clinician, Clearance.Decision.CLEARED)
    assert list(Patient.objects.cleared()) == [patient]


def test_decisions_at_the_same_moment_are_settled_by_the_newest_row(patient, clinician):
    moment = timezone.now()
    decide(patient, clinician, Clearance.Decision.CLEARED, at=moment)
    decide(patient, clinician, Clearance.Decision.NOT_SUITABLE, at=moment)
    assert not Patient.objects.cleared().exists()


def test_each_patient_is_listed_once_however_many_clearances(patient, clinician):
    for _ in range(3):
        decide(patient, clinician, Clearance.Decision.CLEARED)
    assert Patient.objects.cleared().count() == 1
