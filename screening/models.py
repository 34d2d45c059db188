"""Screening: the contraindication checklist, clinician clearance, symptom reviews."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import OwnedByPatientQuerySet


class Clearance(models.Model):
    """A clinician's decision on whether a patient may be booked. The newest decision stands."""

    class Decision(models.TextChoices):
        CLEARED = "cleared", _("Cleared for booking")
        NOT_SUITABLE = "not_suitable", _("Not suitable")
        MORE_INFO = "more_info", _("Needs more information")

    patient = models.ForeignKey("portal.Patient", on_delete=models.CASCADE, related_name="clearances")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.CLEARED)
    note = models.TextField(blank=True, default="")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-decided_at"])]

    def __str__(self):
        return f"{self.patient}: {self.get_decision_display()}"


class ConditionGroup(models.Model):
    """A step of the checklist (contraindications.json "groups"), in order."""

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title


class ConditionQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(enabled=True)

    def from_clinic(self):
        return self.filter(source=Condition.Source.CLINIC)


class Condition(models.Model):
    """A condition the clinic asks about before referral; one source of truth for
    the screening checklist and the guide's "conditions that call for caution"."""

    class Source(models.TextChoices):
        CLINIC = "clinic", _("Clinic's own list (always asked)")
        COMMON_PRACTICE = "common practice", _("Common practice (may be switched off)")

    code = models.SlugField(max_length=60, unique=True)
    group = models.ForeignKey(ConditionGroup, on_delete=models.PROTECT, related_name="conditions")
    source = models.CharField(max_length=20, choices=Source.choices)
    term = models.CharField(_("clinical term"), max_length=300)
    plain = models.CharField(_("question in plain words"), max_length=300)
    order = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)

    objects = ConditionQuerySet.as_manager()

    class Meta:
        ordering = ["group__order", "order", "pk"]
        constraints = [
            # The clinic's own conditions are always asked; only common-practice ones can be off.
            models.CheckConstraint(
                condition=models.Q(enabled=True) | ~models.Q(source="clinic"), name="clinic_conditions_always_enabled"
            )
        ]

    def __str__(self):
        return self.term


class ChecklistVersionQuerySet(models.QuerySet):
    def newest(self):
        return self.order_by("-number").first()


class ChecklistVersion(models.Model):
    """A frozen copy of the checklist as patients saw it: the enabled conditions,
    their groups and their wording. Every screening points at the version it
    answered, so switching a condition off later never rewrites old answers."""

    number = models.PositiveIntegerField(unique=True)
    # [{"code", "group", "group_title", "source", "term", "plain"}, ...] in checklist order.
    conditions = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChecklistVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"Checklist version {self.number}"

    @property
    def codes(self) -> list[str]:
        return [item["code"] for item in self.conditions]

    def steps(self) -> list[dict]:
        """The checklist's steps: one per group that has at least one condition, in order."""
        steps: list[dict] = []
        for item in self.conditions:
            if not steps or steps[-1]["group"] != item["group"]:
                steps.append({"group": item["group"], "title": item["group_title"], "conditions": []})
            steps[-1]["conditions"].append(item)
        return steps


class Outcome(models.TextChoices):
    CLEAR = "clear", _("No condition reported")
    REVIEW = "review", _("A clinician will talk it through")


class ScreeningQuerySet(OwnedByPatientQuerySet):

    def waiting(self):
        """Referrals no clinician has decided on yet."""
        return self.filter(clearance__isnull=True)

    def flagged_first(self):
        # "review" sorts after "clear" alphabetically, so order by an explicit rank.
        return self.annotate(
            flag_rank=models.Case(models.When(outcome=Outcome.REVIEW, then=0), default=1)
        ).order_by("flag_rank", "submitted_at", "pk")


class Screening(models.Model):
    """A patient's answers to the checklist, sent to the clinic with their consent."""

    patient = models.ForeignKey("portal.Patient", on_delete=models.CASCADE, related_name="screenings")
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="screenings")
    # [{"code", "question", "term", "answer"}, ...]: the wording the patient answered.
    answers = models.JSONField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    flagged = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    consent_at = models.DateTimeField()
    # One submission per screening form shown: a replayed final step hits this unique key.
    submission_key = models.CharField(max_length=64, unique=True)
    # The clinician's decision on this referral (None while it waits).
    clearance = models.ForeignKey(
        Clearance, null=True, blank=True, on_delete=models.SET_NULL, related_name="screenings"
    )

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        permissions = [("view_clinicalnote", "Can read clinicians' free-text notes")]
        constraints = [
            models.CheckConstraint(condition=models.Q(outcome__in=["clear", "review"]), name="screening_outcome_known"),
        ]

    def __str__(self):
        return f"{self.patient}: {self.outcome} ({self.submitted_at:%Y-%m-%d})"

    @property
    def status(self) -> str:
        return self.clearance.decision if self.clearance_id else "new"

    def flagged_answers(self) -> list[dict]:
        return [item for item in self.answers if item["code"] in self.flagged]


# --- PHQ-9 symptom reviews ------------------------------------------------------------


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
    the portal as a FHIR QuestionnaireResponse."""

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

    def as_fhir(self) -> dict:
        """This response as a FHIR R4 QuestionnaireResponse (LOINC-coded items and answers)."""
        from screening.phq9 import ANSWER_LOINC, CHOICES

        words = {value: str(label) for value, label in CHOICES}
        items = [
            {
                "linkId": item["loinc"],
                "code": [{"system": "http://loinc.org", "code": item["loinc"]}],
                "text": item["text"],
                "answer": [
                    {
                        "valueCoding": {
                            "system": "http://loinc.org",
                            "code": ANSWER_LOINC[item["score"]],
                            "display": words[item["score"]],
                        }
                    }
                ],
            }
            for item in self.items
        ]
        items.append(
            {
                "linkId": self.LOINC_TOTAL,
                "code": [{"system": "http://loinc.org", "code": self.LOINC_TOTAL}],
                "text": "Patient Health Questionnaire 9 item (PHQ-9) total score",
                "answer": [{"valueInteger": self.total}],
            }
        )
        return {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": f"http://loinc.org/q/{self.LOINC_PANEL}",
            "authored": self.submitted_at.isoformat(),
            "item": items,
        }


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
        return f"Item-9 alert: {self.patient} ({self.created_at:%Y-%m-%d})"
