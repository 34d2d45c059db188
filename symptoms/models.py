"""PHQ-9 symptom reviews and the clinicians' item-9 safety alerts.

Until issue 12 these lived in `screening`; the tables keep their rows (moved by
migrations, see symptoms/migrations/0001_initial.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import OwnedByPatientQuerySet
from symptoms import phq9


class Band(models.TextChoices):
    # PHQ-9 severity bands (Kroenke, Spitzer & Williams 2001): 0-4, 5-9, 10-14, 15-19, 20-27.
    MINIMAL = "minimal", _("minimal")
    MILD = "mild", _("mild")
    MODERATE = "moderate", _("moderate")
    MODERATELY_SEVERE = "moderately severe", _("moderately severe")
    SEVERE = "severe", _("severe")


class SymptomReviewQuerySet(OwnedByPatientQuerySet):

    def chronological(self):
        return self.order_by("submitted_at", "pk")


class SymptomReview(models.Model):
    """One PHQ-9 response: at baseline (no session) or at a review point (the 5th,
    10th or 15th session). Items keep their LOINC codes so the response can leave
    the portal as a FHIR QuestionnaireResponse (fhir_api.resources)."""

    LOINC_PANEL = "44249-1"
    LOINC_TOTAL = "44261-6"

    patient = models.ForeignKey("portal.Patient", on_delete=models.CASCADE, related_name="symptom_reviews")
    session = models.ForeignKey(
        "scheduling.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="symptom_reviews"
    )
    # [{"item": 1, "loinc": "44250-9", "text": "...", "score": 0-3}, ...] in PHQ-9 order.
    items = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20, choices=Band.choices)
    alert = models.BooleanField(default=False)
    # The optional tenth question (phq9.DIFFICULTY_TEXT), not scored; "" when not answered.
    difficulty = models.CharField(max_length=20, blank=True, default="", choices=phq9.DIFFICULTY_CHOICES)
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = SymptomReviewQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            # Idempotency: one response per review point; the first one stands.
            models.UniqueConstraint(
                fields=["patient", "session"], condition=models.Q(session__isnull=False), name="one_review_per_session"
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(session__isnull=True), name="one_baseline_review"
            ),
            models.CheckConstraint(condition=models.Q(total__lte=27), name="phq9_total_at_most_27"),
        ]

    def __str__(self):
        return f"{self.patient}: PHQ-9 {self.total} ({self.band})"

    @property
    def is_baseline(self) -> bool:
        return self.session_id is None

    @property
    def scores(self) -> list[int]:
        return [item["score"] for item in self.items]


class SafetyAlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class SafetyAlert(models.Model):
    """Item 9 of the PHQ-9 above 0. Written with the response, in one transaction;
    it stays open until a clinician records a review with a note."""

    review = models.OneToOneField(SymptomReview, on_delete=models.CASCADE, related_name="safety_alert")
    patient = models.ForeignKey("portal.Patient", on_delete=models.CASCADE, related_name="safety_alerts")
    created_at = models.DateTimeField(default=timezone.now)
    clinicians_notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    # Set when the alert went to every clinician again, no one having reached the patient in time.
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = SafetyAlertQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True) | (models.Q(resolved_by__isnull=False) & ~models.Q(note="")),
                name="alert_resolved_by_a_clinician_with_a_note",
            ),
        ]

    def __str__(self):
        return f"Item-9 alert: {self.patient} ({timezone.localtime(self.created_at):%Y-%m-%d})"


class ContactAttempt(models.Model):
    """A clinician's try to reach the patient about an item-9 alert, with its outcome and time."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached the patient")
        NO_ANSWER = "no_answer", _("No answer")
        MESSAGE_LEFT = "message_left", _("Left a message")

    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE, related_name="contact_attempts")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} ({timezone.localtime(self.at):%Y-%m-%d %H:%M})"
