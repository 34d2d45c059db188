"""Admin: opening hours and closed days (inline on the clinic settings' page, which
portal.admin registers), chairs,
and read-mostly courses and sessions. Bookings and changes go through the
front-desk pages, which apply the rules; the admin never bypasses them."""

from django.contrib import admin

from portal.admin import ClinicSettingsAdmin
from scheduling.models import Chair, ClosedDay, Course, Notification, OpeningHours, Session


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    max_num = 7


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 1


# The clinic's own settings are registered by portal.admin; their opening hours and closed
# days are scheduling's, so scheduling adds them to that page.
ClinicSettingsAdmin.inline_add(OpeningHoursInline, ClosedDayInline)


@admin.register(Chair)
class ChairAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "active"]
    list_editable = ["order", "active"]
    ordering = ["order", "name"]

    def has_delete_permission(self, request, obj=None):
        # A chair with sessions is kept for the record (PROTECT); switch it off instead.
        return obj is not None and not obj.sessions.exists() and super().has_delete_permission(request, obj)


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    can_delete = False
    fields = ["start", "chair", "status", "status_reason", "review_due", "sequence"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["patient", "first_day", "sessions_per_week", "weeks", "start_time", "booked_by", "created_at"]
    list_select_related = ["patient", "booked_by"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__email"]
    date_hierarchy = "first_day"
    readonly_fields = ["patient", "first_day", "sessions_per_week", "weeks", "start_time", "booked_by",
                       "created_at"]
    exclude = ["calendar_token"]
    inlines = [SessionInline]

    def has_add_permission(self, request):
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["start", "patient", "chair", "status", "review_due", "sequence"]
    list_filter = ["status", "chair", "review_due"]
    list_select_related = ["patient", "chair"]
    search_fields = ["patient__last_name", "patient__first_name"]
    date_hierarchy = "start"
    readonly_fields = ["uid", "course", "patient", "chair", "start", "end", "occupied_until", "status",
                       "status_reason", "review_due", "sequence", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if not admin.site.is_registered(Notification):

    @admin.register(Notification)
    class NotificationAdmin(admin.ModelAdmin):
        list_display = ["session", "course", "kind", "channel", "audience", "send_at", "status", "sent_at"]
        list_filter = ["status", "kind", "channel"]
        list_select_related = ["session__patient", "session__chair", "course__patient"]
        readonly_fields = [f.name for f in Notification._meta.fields]

        def has_add_permission(self, request):
            return False
