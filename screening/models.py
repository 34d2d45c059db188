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
