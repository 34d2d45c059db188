"""Rows written while the reviews lived in `screening` are read through the symptoms
app after its migrations, with the same ids, and the clinicians keep their permission."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from portal.models import User
from symptoms.models import SafetyAlert, SymptomReview
from symptoms.services import phq9_record

BEFORE_THE_MOVE = [("screening", "0005_symptom_reviews"), ("symptoms", None)]
ITEMS = [{"item": n, "loinc": "x", "text": "q", "score": 1} for n in range(1, 10)]


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def _migrate_back_and_write(patient, session, clinician) -> dict:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    assert {"screening_symptomreview", "screening_safetyalert"} <= _tables()
    assert "symptoms_symptomreview" not in _tables()
    old = executor.loader.project_state(("screening", "0005_symptom_reviews")).apps
    OldReview, OldAlert = old.get_model("screening", "SymptomReview"), old.get_model("screening", "SafetyAlert")
    baseline = OldReview.objects.create(patient_id=patient.pk, items=ITEMS, total=9, band="mild")
    review = OldReview.objects.create(
        patient_id=patient.pk, session_id=session.pk, items=ITEMS, total=9, band="mild", alert=True
    )
    alert = OldAlert.objects.create(review_id=review.pk, patient_id=patient.pk)
    OldAlert.objects.filter(pk=alert.pk).update(resolved_by_id=clinician.pk, note="Called.", resolved_at=review.submitted_at)
    return {"baseline": baseline.pk, "review": review.pk, "alert": alert.pk}


def _migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_reviews_and_alerts_from_before_the_move_are_read_through_the_symptoms_app(
    patient, clinician, review_session
):
    session = review_session(patient)
    content_type = ContentType.objects.get_by_natural_key("symptoms", "symptomreview")
    permission = Permission.objects.get(content_type=content_type, codename="view_symptomreview")
    assert clinician.has_perm("symptoms.view_symptomreview")

    ids = _migrate_back_and_write(patient, session, clinician)
    assert ContentType.objects.get(pk=content_type.pk).app_label == "screening"
    # post_migrate at this point (`migrate symptoms zero`) makes an empty copy of the content types.
    create_contenttypes(apps.get_app_config("symptoms"), verbosity=0)
    _migrate_forward()

    assert {"symptoms_symptomreview", "symptoms_safetyalert"} <= _tables()
    assert not {"screening_symptomreview", "screening_safetyalert"} & _tables()
    review = SymptomReview.objects.select_related("safety_alert").get(pk=ids["review"])
    assert (review.patient_id, review.session_id, review.total, review.band, review.alert) == (
        patient.pk, session.pk, 9, "mild", True
    )
    assert review.scores == [1] * 9
    assert review.safety_alert.pk == ids["alert"] and review.safety_alert.note == "Called."
    assert SymptomReview.objects.get(pk=ids["baseline"]).is_baseline
    assert list(SafetyAlert.objects.open()) == []

    # The content type (and with it the permission the clinicians' role holds) moved, not made anew.
    assert ContentType.objects.get_by_natural_key("symptoms", "symptomreview").pk == content_type.pk
    assert not ContentType.objects.filter(app_label="screening", model__in=["symptomreview", "safetyalert"])
    assert Permission.objects.get(codename="view_symptomreview").pk == permission.pk
    assert User.objects.get(pk=clinician.pk).has_perm("symptoms.view_symptomreview")

    # The moved tables keep their constraints, and new rows take ids after the old ones.
    with pytest.raises(IntegrityError), transaction.atomic():
        SymptomReview.objects.create(patient=patient, items=ITEMS, total=9, band="mild")
    later = phq9_record(patient=patient, answers=[0] * 9, session=review_session(patient, ended_days_ago=10))
    assert later.pk > ids["review"]
