"""Patient guides as structured content: sections holding ordered items, edited
as a draft by clinic staff and shown to patients only as published revisions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from education.markup import markup_problems


class GuideQuerySet(models.QuerySet):
    def published(self):
        """Guides patients can read, each with the revision they see (one query)."""
        return self.filter(published_revision__isnull=False).select_related("published_revision")


class Guide(models.Model):
    """A patient guide. Its title, summary and sections are the staff's working draft;
    patients see `published_revision`, a frozen copy."""

    slug = models.SlugField(
        _("address"),
        max_length=80,
        unique=True,
        help_text=_("Part of the page address, e.g. ketamine-infusion for /learn/ketamine-infusion/"),
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two plain sentences; shown in lists and search results.")
    )
    order = models.PositiveSmallIntegerField(_("order on the guides page"), default=0)
    published_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    draft_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    draft_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("guide")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("education:guide", kwargs={"slug": self.slug})


class Section(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CONDITIONS = "conditions", _("Text, then the clinic's conditions that call for caution")
        GLOSSARY = "glossary", _("Glossary (term items)")

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="sections")
    anchor = models.SlugField(_("anchor"), max_length=60, help_text=_("The #part of links to this section."))
    heading = models.CharField(_("heading"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TEXT)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["guide", "anchor"], name="one_anchor_per_guide")]

    def __str__(self):
        return self.heading


class Item(models.Model):
    """One fact, step or paragraph of a section. Consecutive steps form a numbered
    list, points a bulleted list, rows a list of "plain name (medical term)"."""

    class Kind(models.TextChoices):
        PARAGRAPH = "paragraph", _("Paragraph")
        SUBHEADING = "subheading", _("Subheading")
        STEP = "step", _("Numbered step")
        POINT = "point", _("Bullet point")
        ROW = "row", _("Plain name, medical term beside it")
        TERM = "term", _("Glossary term")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PARAGRAPH)
    text = models.TextField(
        _("text"),
        help_text=_(
            "Markdown: **bold**, *italic*, [link](https://…). {no_driving_hours} and {clinic_phone} "
            "are filled in from the clinic's settings. No scripts or styles."
        ),
    )
    term = models.CharField(
        _("medical term or glossary word"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Plain name items: the medical term. Glossary: the word being defined."),
    )
    expansion = models.CharField(
        _("abbreviation spelled out"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Glossary only, for abbreviations: e.g. Food and Drug Administration for FDA."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.text[:60]

    def clean(self):
        problems = markup_problems(self.text)
        if problems:
            raise ValidationError(
                {"text": _("This text cannot be published: %(problems)s.") % {"problems": "; ".join(problems)}}
            )


class RevisionQuerySet(models.QuerySet):
    def history(self):
        return self.select_related("published_by").order_by("-number")


class Revision(models.Model):
    """A published guide, frozen: the JSON of its sections as patients saw them."""

    guide = models.ForeignKey(Guide, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    content = models.JSONField(editable=False)
    changes = models.TextField(_("what changed"), blank=True, default="", editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    published_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["guide", "-number"]
        constraints = [models.UniqueConstraint(fields=["guide", "number"], name="one_revision_number_per_guide")]

    def __str__(self):
        return f"{self.content.get('title', '')} — revision {self.number}"

    def save(self, *args, **kwargs):
        # A published revision is the record of what patients were told: never rewritten.
        if self.pk is not None:
            raise ValidationError(_("A published revision cannot be changed; publish a new one instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A published revision cannot be deleted."))
