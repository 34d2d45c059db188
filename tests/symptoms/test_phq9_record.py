import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from symptoms.models import SafetyAlert, SymptomReview
from symptoms.phq9 import ITEMS
from symptoms.services import phq9_record, safety_alert_resolve
from tests.race import failures, race

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0] * 9, 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([1] * 9, 9, "mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
        ([2, 2, 2, 2, 2, 2, 3, 0, 0], 15, "moderately severe"),
        ([3, 3, 3, 3, 3, 2, 2, 0, 0], 19, "moderately severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
        ([3] * 9, 27, "severe"),
    ],
)
def test_it_scores_the_total_and_names_the_band(patient, answers, total, band):
    review = phq9_record(patient=patient, answers=answers)
    assert (review.total, review.band) == (total, band)


def test_items_are_stored_with_their_loinc_codes_in_phq9_order(patient):
    review = phq9_record(patient=patient, answers=[0, 1, 2, 3, 0, 1, 2, 3, 0])
    assert [i["loinc"] for i in review.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8",
    ]
    assert review.items[0]["text"] == "Little interest or pleasure in doing things"
    assert review.scores == [0, 1, 2, 3, 0, 1, 2, 3, 0]
    assert SymptomReview.LOINC_PANEL == "44249-1" and SymptomReview.LOINC_TOTAL == "44261-6"
    assert len(ITEMS) == 9


def test_item_9_above_0_alerts_the_clinicians_in_the_same_transaction(patient, clinician, django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        review = phq9_record(patient=patient, answers=[0] * 8 + [1])
    assert review.alert is True
    alert = SafetyAlert.objects.get(review=review)
    assert alert.resolved_at is None
    assert alert.clinicians_notified_at is not None
    assert mail.outbox[0].to == [clinician.email]
    assert "Alice" not in mail.outbox[0].body  # no patient data in the email


def test_item_9_at_0_raises_no_alert(patient):
    review = phq9_record(patient=patient, answers=[3] * 8 + [0])
    assert review.alert is False
    assert not SafetyAlert.objects.exists()


def test_when_the_alert_cannot_be_written_the_response_is_not_stored_either(patient, monkeypatch):
    def broken(**kwargs):
        raise IntegrityError("alert table refused")

    monkeypatch.setattr(SafetyAlert.objects, "create", broken)
    with pytest.raises(IntegrityError):
        phq9_record(patient=patient, answers=[0] * 8 + [2])
    assert not SymptomReview.objects.exists()


def test_the_alert_stays_until_a_clinician_records_a_review_with_a_note(patient, clinician, front_desk):
    review = phq9_record(patient=patient, answers=[0] * 8 + [3])
    alert = review.safety_alert
    with pytest.raises(ValidationError):
        safety_alert_resolve(alert=alert, clinician=clinician, note="  ")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        safety_alert_resolve(alert=alert, clinician=front_desk, note="Called")
    assert SafetyAlert.objects.open().count() == 1
    safety_alert_resolve(alert=alert, clinician=clinician, note="Called the patient; safety plan agreed.")
    assert SafetyAlert.objects.open().count() == 0


def test_the_database_refuses_to_close_an_alert_without_a_note(patient):
    from django.utils import timezone

    review = phq9_record(patient=patient, answers=[0] * 8 + [1])
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.filter(review=review).update(resolved_at=timezone.now())


@pytest.mark.parametrize(
    "answers",
    [[0] * 8, [0] * 10, [0] * 8 + [4], [0] * 8 + [-1], [0] * 8 + ["1"], [0] * 8 + [None], [0] * 8 + [True], "000000000"],
)
def test_missing_items_or_values_out_of_range_are_refused_and_nothing_is_stored(patient, answers):
    with pytest.raises(ValidationError):
        phq9_record(patient=patient, answers=answers)
    assert not SymptomReview.objects.exists()


def test_a_second_response_for_the_same_review_point_leaves_the_first_standing(patient, review_session):
    session = review_session(patient)
    first = phq9_record(patient=patient, answers=[2] * 9, session=session)
    second = phq9_record(patient=patient, answers=[0] * 9, session=session)
    assert second.pk == first.pk
    assert second.total == 18
    assert second.created is False
    assert SymptomReview.objects.count() == 1


def test_a_second_baseline_leaves_the_first_standing(patient):
    first = phq9_record(patient=patient, answers=[1] * 9)
    again = phq9_record(patient=patient, answers=[3] * 9)
    assert again.pk == first.pk and again.total == 9


def test_the_database_allows_one_response_per_review_point(patient):
    phq9_record(patient=patient, answers=[1] * 9)
    with pytest.raises(IntegrityError), transaction.atomic():
        SymptomReview.objects.create(patient=patient, items=[], total=0, band="minimal")


def test_a_session_of_another_patient_is_refused(patient, other_patient, review_session):
    session = review_session(other_patient)
    with pytest.raises(ValidationError, match="another patient"):
        phq9_record(patient=patient, answers=[0] * 9, session=session)
    assert not SymptomReview.objects.exists()


def test_an_alert_email_that_failed_is_sent_by_the_retry(patient, clinician, settings):
    from django.core import mail

    from symptoms.services import safety_alerts_notify_pending

    phq9_record(patient=patient, answers=[0] * 8 + [1])  # on_commit never runs inside this test transaction
    alert = SafetyAlert.objects.get()
    assert alert.clinicians_notified_at is None
    assert safety_alerts_notify_pending() == 1
    assert mail.outbox[0].to == [clinician.email]
    assert safety_alerts_notify_pending() == 0
    assert len(mail.outbox) == 1


class SlowBackend:
    """An email backend that takes a while, so two retry workers overlap on one alert."""

    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import time

        time.sleep(0.5)
        SlowBackend.sent.extend(messages)
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_two_retry_workers_at_once_email_an_alert_once(patient, clinician, settings):
    from symptoms.services import safety_alerts_notify_pending

    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    SlowBackend.sent = []
    phq9_record(patient=patient, answers=[0] * 8 + [1])
    SlowBackend.sent = []  # the first, after-commit try: this test is about the retries
    SafetyAlert.objects.update(clinicians_notified_at=None)
    errors = failures(race(safety_alerts_notify_pending, 2))
    assert errors == []
    assert len(SlowBackend.sent) == 1
    assert SafetyAlert.objects.get().clinicians_notified_at is not None
