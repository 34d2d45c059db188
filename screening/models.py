"""Screening: the contraindication checklist, clinician clearance, symptom reviews."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
