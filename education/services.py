"""Writes that matter for guides: publishing a draft as a new revision."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from education import pages
from education.models import Guide, Item, Revision, Section
from education.snapshot import build_snapshot, describe_changes
from portal.services import audit_record


def guide_draft_snapshot(*, guide: Guide) -> dict:
    """The staff's working draft as it would be published (sanitised HTML included)."""
    sections = guide.sections.prefetch_related(Prefetch("items", queryset=Item.objects.order_by("order", "pk")))
    return build_snapshot(
        title=guide.title,
        summary=guide.summary,
        sections=[
            {
                "anchor": section.anchor,
                "heading": section.heading,
                "kind": section.kind,
                "items": [
                    {"kind": item.kind, "text": item.text, "term": item.term, "expansion": item.expansion}
                    for item in section.items.all()
                ],
            }
            for section in sections.order_by("order", "pk")
        ],
    )


def guide_publish(*, guide: Guide, by) -> Revision:
    """Freeze the guide's draft as its next revision and show it to patients.

    The stored HTML is sanitised whatever the draft holds, so a <script> typed
    into the draft is dropped, never served."""
    if by is None or not by.has_perm("education.change_guide"):
        raise PermissionDenied(_("Only clinic staff allowed to edit guides can publish them."))
    with transaction.atomic():
        # One publisher at a time per guide, so two clicks cannot take the same number.
        locked = Guide.objects.select_for_update().get(pk=guide.pk)
        snapshot = guide_draft_snapshot(guide=locked)
        if not snapshot["sections"]:
            raise ValidationError(_("This guide has no sections yet. Add at least one section before publishing."))
        empty = [s["heading"] for s in snapshot["sections"] if not s["items"] and s["kind"] != Section.Kind.CONDITIONS]
        if empty:
            raise ValidationError(
                _("These sections have no text yet: %(headings)s. Add text or remove them, then publish again.")
                % {"headings": ", ".join(empty)}
            )
        previous = locked.published_revision
        number = (locked.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = Revision.objects.create(
            guide=locked,
            number=number,
            content=snapshot,
            changes=describe_changes(previous.content if previous else None, snapshot),
            published_by=by,
            published_at=timezone.now(),
        )
        locked.published_revision = revision
        locked.save(update_fields=["published_revision"])
        guide.published_revision = revision
        audit_record(actor=by, action="guide_published", obj=revision, detail={"guide": locked.slug, "number": number})
        # Now for this transaction's own readers and tests; again after commit, so a
        # request that read the old revision before the commit cannot keep it cached.
        pages.invalidate()
        transaction.on_commit(pages.invalidate)
    return revision


def guide_draft_touch(*, guide: Guide, by) -> None:
    """Record who last changed the draft, and when (the admin's change log holds the details)."""
    Guide.objects.filter(pk=guide.pk).update(draft_updated_at=timezone.now(), draft_updated_by=by)


SIDE_EFFECTS_ANCHOR = "side-effects"


def side_effects_by_frequency() -> list[dict]:
    """The published guide's side effects, grouped under their "how often" subheadings:
    [{"heading", "rows": [{"plain", "term"}]}]. The consent form shows these, so the
    two never drift apart."""
    groups: list[dict] = []
    for guide in Guide.objects.published().order_by("order", "pk"):
        for section in guide.published_revision.content.get("sections", []):
            if section.get("anchor") != SIDE_EFFECTS_ANCHOR:
                continue
            for item in section.get("items", []):
                if item["kind"] == Item.Kind.SUBHEADING:
                    groups.append({"heading": item["text"], "rows": []})
                elif item["kind"] == Item.Kind.ROW and groups:
                    groups[-1]["rows"].append({"plain": item["text"], "term": item["term"]})
            if groups:
                return groups
    return groups
