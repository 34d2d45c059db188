from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from portal.admin_base import ReadOnlyAdmin
from screening import services
from screening.models import ChecklistVersion, Clearance, Condition, ConditionGroup, Screening


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
