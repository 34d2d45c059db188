from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from portal.admin_base import ReadOnlyAdmin
from portal.models import AuditEvent, ClinicSettings, Invitation, Patient, User
from portal.services import DETAIL_FIELDS, audit_record, patient_details_clean, patient_update, plain_value


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["two_factor_reset"]

    @admin.action(description="Reset two-step sign-in (lost phone and recovery codes)", permissions=["change"])
    def two_factor_reset(self, request, queryset):
        from portal.two_factor import services as two_factor

        for user in queryset:
            two_factor.reset(user=user, by=request.user, request=request)
        self.message_user(
            request,
            f"Two-step sign-in reset for {queryset.count()} account{'' if queryset.count() == 1 else 's'}: each sets up "
            "an app at its next sign-in.",
        )


class PatientAdminForm(forms.ModelForm):
    """The admin checks a patient's details by the same rules as the staff pages (portal.services)."""

    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "email", "phone", "date_of_birth", "preferred_channel", "user"]

    def clean(self):
        cleaned = super().clean()
        try:
            patient_details_clean(**{name: cleaned.get(name) for name in DETAIL_FIELDS})
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                if name not in self.errors:
                    self.add_error(name, errors)
        return cleaned


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    form = PatientAdminForm
    list_display = ["last_name", "first_name", "email", "phone", "date_of_birth", "user"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        """Every change to a patient record reaches the portal's own audit trail: who, when,
        which fields, and their old and new values. A change goes through the same service as
        the staff pages' form (portal.services.patient_update)."""
        if change:
            original = Patient.objects.get(pk=obj.pk)
            changes = {name: form.cleaned_data.get(name) for name in form.changed_data}
            patient_update(patient=original, by=request.user, changes=changes, request=request,
                           action="patient.change_admin")
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)
        fields = {name: {"old": None, "new": plain_value(form.cleaned_data.get(name))} for name in form.changed_data}
        audit_record(actor=request.user, action="patient.add_admin", patient=obj, obj=obj, request=request,
                     detail={"fields": fields})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        patient = Patient.objects.filter(pk=object_id).first() if str(object_id).isascii() and str(object_id).isdigit() else None
        if patient is not None and response.status_code == 200:
            audit_record(actor=request.user, action="patient.view_admin", patient=patient, obj=patient, request=request)
        return response


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["patient", "created_at", "expires_at", "used_at"]
    readonly_fields = ["patient", "token_hash", "created_by", "created_at", "expires_at", "used_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Visible to clinicians (view permission), editable by nobody."""

    list_display = ["at", "actor", "action", "patient", "object_type", "object_id", "ip_address"]
    list_filter = ["action"]
    search_fields = ["action", "patient__last_name", "actor__email"]
    list_select_related = ["actor", "patient"]


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(admin.ModelAdmin):
    fieldsets = (
        ("Clock", {"fields": ("time_zone",)}),
        ("Sessions", {"fields": ("infusion_minutes", "recovery_minutes", "min_clear_days")}),
        ("Messages", {"fields": ("reminder_lead_hours", "morning_reminder", "morning_reminder_time",
                                 "no_driving_hours")}),
        ("Safety", {"fields": ("alert_escalation_hours",)}),
    )
    # The rows other apps hang off the settings (scheduling: opening hours and closed days),
    # added by their own admin.py through `inline_add`: portal knows no app.
    inlines: list = []

    @classmethod
    def inline_add(cls, *inlines) -> None:
        cls.inlines = [*cls.inlines, *(inline for inline in inlines if inline not in cls.inlines)]

    def has_add_permission(self, request):
        return not ClinicSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
