"""Screening: the contraindication checklist, screenings sent to the clinic, clinician clearance."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
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

    # The clinic's list is written for clinicians: a patient sees its terms in US spelling and
    # without a clinician's note such as "(risk of inducing status epilepticus)".
    US_SPELLING = (("haemorrhage", "hemorrhage"), ("tumours", "tumors"), ("tumour", "tumor"),
                   ("anaesthe", "anesthe"), ("apnoea", "apnea"), ("oedema", "edema"))

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

    @property
    def term_for_patients(self) -> str:
        return patient_term(self.term)


def patient_term(term: str) -> str:
    """A condition's medical term as patients see it (see Condition.US_SPELLING)."""
    term = re.sub(r"\s*\((?:risk of|risk that)[^)]*\)", "", term)
    for old, new in Condition.US_SPELLING:
        term = term.replace(old, new).replace(old.capitalize(), new.capitalize())
    return term


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
    # A held referral (its patient record is held for one already on file): a one-time link
    # to the email typed lets its owner confirm it; only the link's hash is stored.
    owner_token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    owner_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
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


class ConsentVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def current(self):
        """The version patients sign now: the newest published one (None before the first)."""
        return self.published().order_by("-number").first()

    def required(self):
        """The oldest version a signature may be on and still count: the newest one the clinic
        marked as a material change (a minor wording fix does not ask patients to sign again)."""
        return self.published().filter(material=True).order_by("-number").first() or self.current()


class ConsentVersion(models.Model):
    """One version of the clinic's informed-consent document. A draft (no `published_at`)
    is the clinic's working copy; once published it is the record of what patients
    signed and is never rewritten."""

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(_("title"), max_length=200, default="Consent to ketamine infusion treatment")
    body = models.TextField(
        _("text"),
        help_text=_(
            "Plain text. A line starting with '## ' is a heading; a blank line starts a new paragraph. "
            "{no_driving_hours}, {clinic_phone} and {clinic_name} are filled in from the clinic's settings; "
            "a line holding only {side_effects} shows the guide's side effects by how often they happen."
        ),
    )
    material = models.BooleanField(
        _("patients must sign again"),
        default=True,
        help_text=_("Tick when the change matters to a patient's decision: everyone signs again before their next infusion."),
    )
    changes = models.TextField(_("what changed"), blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = ConsentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        state = "" if self.published_at else " (draft)"
        return f"Consent version {self.number}{state}"

    def save(self, *args, **kwargs):
        # A published version is the record of what patients signed: never rewritten.
        if self.pk is not None and ConsentVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise ValidationError(_("A published consent version cannot be changed; make a new draft instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise ValidationError(_("A published consent version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Consent(models.Model):
    """A patient's signature on one exact consent version: their typed full name, the tick
    and the time. `recorded_by` is the staff member when it was signed on a clinic tablet."""

    class Method(models.TextChoices):
        PORTAL = "portal", _("Signed in the portal")
        CLINIC = "clinic", _("Signed on a clinic tablet")

    patient = models.ForeignKey("portal.Patient", on_delete=models.PROTECT, related_name="consents")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="signatures")
    signed_name = models.CharField(max_length=201)
    signed_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.PORTAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The text exactly as the patient read it when signing (the version's words with the
    # clinic's hours, phone and the guide's side effects filled in as they were then), so a
    # later change to the clinic's settings or the guide never rewrites a signed copy.
    text = models.JSONField(default=list, blank=True, editable=False)

    objects = OwnedByPatientQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="one_signature_per_consent_version"),
            models.CheckConstraint(
                condition=models.Q(method="portal", recorded_by__isnull=True)
                | models.Q(method="clinic", recorded_by__isnull=False),
                name="consent_clinic_signature_names_staff",
            ),
        ]

    def __str__(self):
        return f"{self.patient}: consent version {self.version.number}"
class Intake(models.Model):
    """What the patient tells the clinic before the first session: why they seek treatment, what
    they have tried, what they take, who to call and who drives them home, and when they can come.
    Saved step by step; `submitted_at` is set when they send it. Every change after that is kept
    as an IntakeChange, so a clinician sees what changed since they read it."""

    class Reason(models.TextChoices):
        DEPRESSION = "depression", _("Depression")
        PTSD = "ptsd", _("PTSD (post-traumatic stress)")
        SUBSTANCE_USE = "substance_use", _("Alcohol or drug use")
        OTHER = "other", _("Something else")

    class HowLong(models.TextChoices):
        UNDER_1 = "under_1", _("Less than a year")
        ONE_TO_2 = "1_2", _("1 to 2 years")
        TWO_TO_5 = "2_5", _("2 to 5 years")
        OVER_5 = "over_5", _("More than 5 years")

    class Times(models.TextChoices):
        MORNING = "morning", _("Mornings")
        AFTERNOON = "afternoon", _("Afternoons")
        ANY = "any", _("Any time")

    patient = models.OneToOneField("portal.Patient", on_delete=models.CASCADE, related_name="intake")
    reasons = models.JSONField(default=list, blank=True)
    reason_other = models.CharField(max_length=200, blank=True, default="")
    how_long = models.CharField(max_length=10, choices=HowLong.choices, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    antidepressants_tried = models.PositiveSmallIntegerField(null=True, blank=True)
    therapy = models.BooleanField(default=False)
    ect_or_tms = models.BooleanField(default=False)
    ketamine_before = models.BooleanField(default=False)
    medicines = models.TextField(max_length=2000, blank=True, default="")
    allergies = models.TextField(max_length=1000, blank=True, default="")
    emergency_name = models.CharField(max_length=100, blank=True, default="")
    emergency_phone = models.CharField(max_length=20, blank=True, default="")
    emergency_relationship = models.CharField(max_length=100, blank=True, default="")
    ride_name = models.CharField(max_length=100, blank=True, default="")
    ride_phone = models.CharField(max_length=20, blank=True, default="")
    preferred_days = models.JSONField(default=list, blank=True)
    preferred_times = models.CharField(max_length=10, choices=Times.choices, blank=True, default="")
    access_needs = models.TextField(max_length=1000, blank=True, default="")
    language = models.CharField(max_length=100, blank=True, default="")
    steps_done = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedByPatientQuerySet.as_manager()

    def __str__(self):
        return f"Intake: {self.patient}"

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels.get(code, code)) for code in self.reasons]

    def day_labels(self) -> list[str]:
        names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        return [names[day] for day in self.preferred_days if 0 <= day < 7]


class IntakeChange(models.Model):
    """One save of an intake after it was sent: which answers changed, old and new."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fields = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.intake} changed {self.at:%Y-%m-%d %H:%M}"
