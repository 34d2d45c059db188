"""Core models: the user, the patient record, the audit trail and the clinic's settings."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import zoneinfo
from datetime import time

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    FRONT_DESK = "front_desk", _("Front desk")
    CLINICIAN = "clinician", _("Clinician")


class User(AbstractUser):
    """Signs in by email. Roles are groups (see portal.roles)."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    # Staff only: from this moment every sign-in needs a second step (portal.two_factor). Empty
    # until the account's first sign-in, which starts the grace period for setting it up.
    two_factor_required_from = models.DateTimeField(_("two-step sign-in required from"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.get_full_name() or self.email

    def has_role(self, role: str) -> bool:
        if not self.is_authenticated or not self.is_active:
            return False
        cache = getattr(self, "_role_cache", None)
        if cache is None:
            cache = set(self.groups.values_list("name", flat=True))
            self._role_cache = cache
        return role in cache

    @property
    def is_clinician(self) -> bool:
        return self.has_role(Role.CLINICIAN)

    @property
    def is_front_desk(self) -> bool:
        return self.has_role(Role.FRONT_DESK)

    @property
    def is_clinic_staff(self) -> bool:
        return self.is_clinician or self.is_front_desk


class OwnedByPatientQuerySet(models.QuerySet):
    """Rows that belong to one patient: clinic staff see all of them, a signed-in
    patient only their own, anyone else nothing. `patient_path` is the lookup from
    the row to its Patient."""

    patient_path = "patient"

    def for_user(self, user):
        if getattr(user, "is_clinic_staff", False):
            return self
        if getattr(user, "is_authenticated", False):
            return self.filter(**{f"{self.patient_path}__user": user})
        return self.none()


# Letters that carry their mark inside (NFKD does not split them): Ø is typed as O.
LETTERS_WITHOUT_PARTS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"})


def search_text(value: str) -> str:
    """Text as the patient search compares it: accents dropped (NFKD, combining marks removed),
    case folded, runs of spaces made one. "María  GARCÍA" and "maria garcia" read the same."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().translate(LETTERS_WITHOUT_PARTS).split())


def digits_only(value: str) -> str:
    """A phone number as its digits: "+1 (555) 010-4477" -> "15550104477"."""
    return re.sub(r"\D", "", value or "")


class PatientQuerySet(models.QuerySet):
    def for_user(self, user):
        """Patients the user may see: staff see all, a patient only their own record."""
        if getattr(user, "is_clinic_staff", False):
            return self
        if user.is_authenticated:
            return self.filter(user=user)
        return self.none()

    def with_email(self, email: str):
        """The patient on file with this email (a held referral's record never counts)."""
        return self.filter(email__iexact=email.strip(), held_for__isnull=True)

    def held(self):
        """Records of anonymous screenings that typed another patient's email, not yet reconciled."""
        return self.filter(held_for__isnull=False)

    def cleared(self):
        """Patients whose newest clinician decision is "cleared": the only ones a course can be booked for.

        The decisions are screening's Clearance rows, reached through their reverse relation
        (`clearances`) so that portal never imports screening. A later "not suitable" or "needs
        more information" takes a clearance back; the newest decision wins, ties by id."""
        clearance = self.model.clearances.rel.related_model
        latest = (
            clearance.objects.filter(patient=models.OuterRef("pk")).order_by("-decided_at", "-pk").values("decision")
        )
        return self.alias(latest_decision=models.Subquery(latest[:1])).filter(
            latest_decision=clearance.Decision.CLEARED
        )


class Patient(models.Model):
    """A person the clinic treats. May exist before (or without) an account."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # How the patient wants reminders and notices: "" lets the portal choose
    # (email when there is an address, else a text message).
    preferred_channel = models.CharField(
        _("send my reminders by"),
        max_length=10,
        blank=True,
        default="",
        choices=[("email", _("Email")), ("sms", _("Text message"))],
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # An anonymous screening that typed the email of a patient already on file is never
    # merged into that record: it is held on a record of its own, pointing at the one it
    # may belong to, until staff reconcile it or the email's owner confirms it.
    held_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="held_referrals", editable=False
    )
    # Kept by save() for the staff search (portal.search): the full name without accents or
    # case, and the phone's digits, so "garcia" finds "García" and "010 4477" finds
    # "+1 555 010 4477" on every database, the embedded SQLite one included.
    search_name = models.CharField(max_length=201, blank=True, default="", editable=False)
    phone_digits = models.CharField(max_length=20, blank=True, default="", editable=False, db_index=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            # One record per email. A held referral (an anonymous screening that typed an email
            # already on file) keeps the typed email beside the record it may belong to.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email="") & models.Q(held_for__isnull=True),
                name="patient_email_ci_unique",
            ),
            models.CheckConstraint(condition=~models.Q(held_for=models.F("pk")), name="patient_not_held_for_itself"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        self.search_name = search_text(f"{self.first_name} {self.last_name}")
        self.phone_digits = digits_only(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & {"first_name", "last_name", "phone"}:
            kwargs["update_fields"] = {*update_fields, "search_name", "phone_digits"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class InvitationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A one-time, expiring link that lets a patient create their account.

    Only a hash of the token is stored: a database leak does not leak live links.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    def __str__(self):
        return f"Invitation for {self.patient}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class AuditEventQuerySet(models.QuerySet):
    def for_patient(self, patient):
        return self.filter(patient=patient)


class AuditEvent(models.Model):
    """Who read or changed which patient's data, when, from where. Append-only."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self):
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor or 'anonymous'} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")


def seed_time_zone() -> str:
    """The time zone a clinic's settings start with: CLINIC_TIME_ZONE seeds the row, the
    admin edits it after (a callable, so no migration freezes one deployment's value)."""
    return settings.CLINIC_TIME_ZONE


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("%(value)s is not a known time zone; use a name such as America/New_York."), params={"value": value}
        ) from exc


class ClinicSettings(models.Model):
    """The clinic's own numbers. One row (pk=1); every rule reads it, never a literal.

    The clinic's opening hours and closed days hang off it in `scheduling`, which also
    gives a clinic made afresh its default hours (a post_save receiver there)."""

    time_zone = models.CharField(max_length=64, default=seed_time_zone, validators=[validate_time_zone])
    infusion_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )
    recovery_minutes = models.PositiveSmallIntegerField(
        default=120, validators=[MinValueValidator(0), MaxValueValidator(480)]
    )
    min_clear_days = models.PositiveSmallIntegerField(
        _("minimum clear days between a patient's sessions"), default=1, validators=[MaxValueValidator(3)]
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    morning_reminder = models.BooleanField(_("also remind on the morning of the session"), default=False)
    morning_reminder_time = models.TimeField(default=time(7, 0))
    recent_months = models.PositiveSmallIntegerField(
        _("months the self-screening means by \"recently\""),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    no_driving_hours = models.PositiveSmallIntegerField(
        _("hours after the infusion with no driving, alcohol or drugs"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(48)],
    )
    # An item-9 alert with no successful call this many hours after it was raised goes to every
    # clinician again (symptoms.safety.safety_alerts_escalate).
    alert_escalation_hours = models.PositiveSmallIntegerField(
        _("hours before an item-9 alert with no contact is escalated to all clinicians"),
        default=4, validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("clinic settings")
        verbose_name_plural = _("clinic settings")

    def __str__(self):
        return "Clinic settings"

    @classmethod
    def load(cls) -> ClinicSettings:
        # The row migration scheduling 0003 wrote can be gone (a flushed database: every
        # transactional test truncates the tables); it is then made afresh from the seeds.
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def chair_minutes(self) -> int:
        """How long a session holds a chair: infusion plus recovery."""
        return self.infusion_minutes + self.recovery_minutes
