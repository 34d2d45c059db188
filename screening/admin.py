from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.admin_base import ReadOnlyAdmin
from portal.clock import clinic_tz
from portal.validators import CleanTextMixin
from screening import consent, services
from screening.models import ChecklistVersion, Clearance, Condition, ConditionGroup, ConsentVersion, Screening


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    """Only the switch is editable, and only for common-practice conditions: the clinic's
    own list is always asked, and wording changes go through the clinic's list file."""

    list_display = ("code", "term", "group", "source", "enabled")
    list_filter = ("source", "enabled", "group")
    search_fields = ("code", "term", "plain")
    fields = ("code", "group", "source", "term", "plain", "order", "enabled")

    def get_readonly_fields(self, request, obj=None):
        fixed = ["code", "group", "source", "term", "plain", "order"]
        if obj is None or obj.source == Condition.Source.CLINIC:
            return [*fixed, "enabled"]
        return fixed

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            services.condition_enabled_set(condition=obj, enabled=obj.enabled, by=request.user, request=request)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)


@admin.register(ConditionGroup)
class ConditionGroupAdmin(ReadOnlyAdmin):
    list_display = ("title", "code", "order")


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(ReadOnlyAdmin):
    list_display = ("number", "created_at")
    readonly_fields = ("number", "conditions", "created_at")


@admin.register(Screening)
class ScreeningAdmin(admin.ModelAdmin):
    list_display = ("patient", "outcome", "submitted_at", "version")
    list_filter = ("outcome",)
    list_select_related = ("patient", "version")
    readonly_fields = [f.name for f in Screening._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Clearance)
class ClearanceAdmin(ReadOnlyAdmin):
    list_display = ("patient", "decision", "clinician", "decided_at")
    list_select_related = ("patient", "clinician")


class ConsentVersionForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = ConsentVersion
        fields = ["title", "body", "material", "changes"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 30, "cols": 100}),
            "changes": forms.Textarea(attrs={"rows": 3, "cols": 100}),
        }


@admin.register(ConsentVersion)
class ConsentVersionAdmin(admin.ModelAdmin):
    """The consent form, edited as the guide is: a draft, a preview as patients see it, and
    Publish. A published version is the record of what patients signed: read-only here."""

    form = ConsentVersionForm
    list_display = ["number", "title", "state", "published_at", "published_by", "material", "changes"]
    list_select_related = ["published_by"]
    fields = ["number", "title", "body", "material", "changes", "published_at", "published_by"]
    readonly_fields = ["number", "published_at", "published_by"]
    change_form_template = "screening/admin/consentversion_change_form.html"

    @admin.display(description=_("state"))
    def state(self, obj):
        if not obj.is_published:
            return _("Draft")
        return _("Current") if obj == ConsentVersion.objects.current() else _("Published")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_published)

    def get_changeform_initial_data(self, request):
        # A new draft starts from the text patients sign now.
        current = ConsentVersion.objects.current()
        return {"title": current.title, "body": current.body} if current else {}

    def add_view(self, request, form_url="", extra_context=None):
        draft = consent.consent_draft_open()
        if draft is not None and self.has_change_permission(request, draft):
            self.message_user(request, _("Version %(n)s is the open draft: edit it here.") % {"n": draft.number})
            return redirect("admin:screening_consentversion_change", draft.pk)
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.number = consent.consent_number_next()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="screening_consentversion_preview"),
            path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="screening_consentversion_publish"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        version = get_object_or_404(ConsentVersion, pk=pk)
        if not self.has_view_or_change_permission(request, version):
            raise PermissionDenied
        context = {
            "version": version,
            "blocks": consent.consent_blocks(version),
            "preview": True,
            "can_publish": not version.is_published and self.has_change_permission(request, version),
            "publish_url": reverse("admin:screening_consentversion_publish", args=[version.pk]),
            "back_url": reverse("admin:screening_consentversion_change", args=[version.pk]),
            "tz": clinic_tz(),
        }
        return TemplateResponse(request, "screening/consent_copy.html", context)

    def publish_view(self, request, pk):
        return require_POST(self._publish)(request, pk)

    def _publish(self, request, pk):
        version = get_object_or_404(ConsentVersion, pk=pk)
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            consent.consent_publish(version=version, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, f"{version}: {text}", messages.ERROR)
        else:
            self.message_user(
                request, _("Version %(n)s is published. Patients now read and sign it.") % {"n": version.number},
                messages.SUCCESS,
            )
        return redirect("admin:screening_consentversion_change", version.pk)
