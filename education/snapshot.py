"""A guide's content as one JSON document: what a published revision freezes.

Pure functions over plain dicts, so the data migration that loads the clinic's
guide builds its first revision exactly as publishing does later.
"""

from __future__ import annotations

from education.markup import render_markdown

# Items shown inside a list or a table cell render without a wrapping <p>.
INLINE_KINDS = {"subheading", "step", "point", "row", "term"}


def build_snapshot(*, title: str, summary: str, sections: list[dict]) -> dict:
    """sections: [{"anchor", "heading", "kind", "items": [{"kind", "text", "term", "expansion"}]}] in order."""
    return {
        "title": title,
        "summary": summary,
        "sections": [
            {
                "anchor": section["anchor"],
                "heading": section["heading"],
                "kind": section.get("kind", "text"),
                "items": [
                    {
                        "kind": item.get("kind", "paragraph"),
                        "term": item.get("term", ""),
                        "expansion": item.get("expansion", ""),
                        "text": item.get("text", ""),
                        "html": render_markdown(item.get("text", ""), inline=item.get("kind") in INLINE_KINDS),
                    }
                    for item in section.get("items", [])
                ],
            }
            for section in sections
        ],
    }


def describe_changes(old: dict | None, new: dict) -> str:
    """A short account of what a new revision changes, for the revision history."""
    if old is None:
        return "First revision."
    lines: list[str] = []
    if old.get("title") != new.get("title"):
        lines.append(f"Title changed to “{new.get('title')}”.")
    if old.get("summary") != new.get("summary"):
        lines.append("Summary changed.")
    old_sections = {s["anchor"]: s for s in old.get("sections", [])}
    new_sections = {s["anchor"]: s for s in new.get("sections", [])}
    for anchor, section in new_sections.items():
        before = old_sections.get(anchor)
        if before is None:
            lines.append(f"Added section “{section['heading']}”.")
            continue
        if before["heading"] != section["heading"]:
            lines.append(f"Renamed section “{before['heading']}” to “{section['heading']}”.")
        old_texts = [(i["kind"], i["term"], i["expansion"], i["text"]) for i in before["items"]]
        new_texts = [(i["kind"], i["term"], i["expansion"], i["text"]) for i in section["items"]]
        if old_texts != new_texts:
            added = len([t for t in new_texts if t not in old_texts])
            removed = len([t for t in old_texts if t not in new_texts])
            lines.append(
                f"Section “{section['heading']}”: {added} item{'' if added == 1 else 's'} added or edited, {removed} removed or replaced."
            )
    for anchor, section in old_sections.items():
        if anchor not in new_sections:
            lines.append(f"Removed section “{section['heading']}”.")
    if [s["anchor"] for s in old.get("sections", [])] != list(new_sections) and not lines:
        lines.append("Sections reordered.")
    return "\n".join(lines) or "No changes to the content."
