"""Guides in the admin: staff edit the draft (sections, then each section's items),
preview it as patients would see it, and publish it as a new revision."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms import Textarea
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from education import pages, services
from education.models import Guide, Item, Revision, Section
from portal.admin_base import ReadOnlyAdmin


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["order", "anchor", "heading", "kind"]
    show_change_link = True


class RevisionInline(admin.StackedInline):
    model = Revision
    extra = 0
    fields = ["number", "published_at", "published_by", "changes"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-number"]
    verbose_name_plural = _("revision history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DraftTouchMixin:
    """Every saved draft change records who made it and when."""

    def _guide_of(self, obj):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.guide_draft_touch(guide=self._guide_of(obj), by=request.user)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            services.guide_draft_touch(guide=self._guide_of(form.instance), by=request.user)


@admin.register(Guide)
class GuideAdmin(DraftTouchMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "order", "published", "draft_updated_at", "draft_updated_by"]
    list_select_related = ["published_revision", "draft_updated_by"]
    readonly_fields = ["published", "draft_updated_at", "draft_updated_by"]
    fields = ["title", "slug", "summary", "order", "published", "draft_updated_at", "draft_updated_by"]
    inlines = [SectionInline, RevisionInline]
    actions = ["publish_selected"]
    change_form_template = "education/admin/guide_change_form.html"

    def _guide_of(self, obj):
        return obj

    @admin.display(description=_("published revision"))
    def published(self, obj):
        revision = obj.published_revision
        if revision is None:
            return _("Not published")
        return format_html(
            "{} {} · {} · {}",
            _("Revision"),
            revision.number,
            timezone.localtime(revision.published_at).strftime("%Y-%m-%d %H:%M"),
            revision.published_by or _("loaded with the portal"),
        )

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="education_guide_preview"),
            path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="education_guide_publish"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        guide = get_object_or_404(Guide, pk=pk)
        if not self.has_view_or_change_permission(request, guide):
            raise PermissionDenied
        context = {
            "page": pages.preview_page(services.guide_draft_snapshot(guide=guide)),
            "preview": True,
            "can_publish": self.has_change_permission(request, guide),
            "publish_url": reverse("admin:education_guide_publish", args=[guide.pk]),
            "back_url": reverse("admin:education_guide_change", args=[guide.pk]),
        }
        return TemplateResponse(request, "education/guide.html", context)

    def publish_view(self, request, pk):
        return require_POST(self._publish)(request, pk)

    def _publish(self, request, pk):
        guide = get_object_or_404(Guide, pk=pk)
        if not self.has_change_permission(request, guide):
            raise PermissionDenied
        self._publish_one(request, guide)
        return redirect("admin:education_guide_change", guide.pk)

    def _publish_one(self, request, guide):
        try:
            revision = services.guide_publish(guide=guide, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, f"{guide}: {text}", messages.ERROR)
            return
        self.message_user(
            request,
            _("%(guide)s: revision %(n)s is published.") % {"guide": guide, "n": revision.number},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish the draft of the selected guides"), permissions=["change"])
    def publish_selected(self, request, queryset):
        for guide in queryset:
            self._publish_one(request, guide)


class ItemInline(admin.StackedInline):
    model = Item
    extra = 1
    fields = [("order", "kind"), "text", ("term", "expansion")]
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 3, "cols": 90})}}


@admin.register(Section)
class SectionAdmin(DraftTouchMixin, admin.ModelAdmin):
    list_display = ["heading", "guide", "order", "kind"]
    list_filter = ["guide"]
    list_select_related = ["guide"]
    fields = ["guide", "order", "anchor", "heading", "kind"]
    inlines = [ItemInline]

    def _guide_of(self, obj):
        return obj.guide


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    """The record of what patients were shown: readable, never editable."""

    list_display = ["guide", "number", "published_at", "published_by"]
    list_filter = ["guide"]
    list_select_related = ["guide", "published_by"]
    fields = ["guide", "number", "published_at", "published_by", "changes", "content"]
    readonly_fields = fields
