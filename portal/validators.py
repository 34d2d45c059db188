"""One rule for every text a person types: no control characters.

A name with a line break in it broke the clinicians' email headers (BadHeaderError after
one try) and smuggled lines into logs. Single-line fields refuse every control character;
multi-line fields (notes, reasons typed in a text area) allow line breaks and tabs.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

LINE_BREAKS = frozenset("\n\r\t")


def control_characters(value: str, *, multiline: bool = False) -> set[str]:
    allowed = LINE_BREAKS if multiline else frozenset()
    return {c for c in value if unicodedata.category(c) in ("Cc", "Cf") and c not in allowed and c != "\u200d"}


@deconstructible
class NoControlCharacters:
    """Refuses control characters (line breaks too, unless `multiline`)."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        if isinstance(value, str) and control_characters(value, multiline=self.multiline):
            raise ValidationError(
                _("Remove the line breaks or other invisible characters from this text.")
                if not self.multiline
                else _("Remove the invisible (control) characters from this text."),
                code="control_characters",
            )

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters) and other.multiline == self.multiline


class CleanTextMixin:
    """For forms: every text field gets the rule, single-line unless its widget is a text area."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django import forms

        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
                field.validators.append(NoControlCharacters(multiline=isinstance(field.widget, forms.Textarea)))
