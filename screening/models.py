"""Screening: the contraindication checklist, screenings sent to the clinic, clinician clearance."""

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
        return f"{self.patient}: {self.outcome} ({timezone.localtime(self.submitted_at):%Y-%m-%d})"

    @property
    def status(self) -> str:
        return self.clearance.decision if self.clearance_id else "new"

    def flagged_answers(self) -> list[dict]:
        return [item for item in self.answers if item["code"] in self.flagged]
