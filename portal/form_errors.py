"""One error pattern for every form (WCAG 3.3.1, 3.3.3, 4.1.2).

After an invalid submit the page's title starts with "Error:", a summary linking to each field
with a problem is the first thing in <main> and takes focus on load (static/js/errors.js), each
error is in its field's aria-describedby and the field (or each radio of a group) carries
aria-invalid="true". Django 5.2 already writes aria-invalid and aria-describedby for a field's
own errors; this module adds the rest:

- `ErrorSummaryItem` and `form_error_items(form)`: the summary's lines for one form;
- `page_error_items(context)`: every line for a page, from the forms in its context and an
  explicit `error_summary` list (for questions that are not Django fields, such as the screening);
- `AccessibleFormMixin`: no `required` attribute (Chromium reports an untouched required select
  or radio group as invalid before anything is entered), `aria-required` instead, and a form-level
  error (a sign-in that does not match) tied to the fields it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet

CHOICE_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


@dataclass(frozen=True)
class ErrorSummaryItem:
    target: str  # the id of the element the summary links to (the field, or a group's first option)
    message: str


def field_target(bound_field) -> str:
    """The id the summary links to: a choice group's first option, else the field itself."""
    if isinstance(bound_field.field.widget, CHOICE_WIDGETS):
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label or bound_field.auto_id


def form_error_items(form) -> list[ErrorSummaryItem]:
    if isinstance(form, BaseFormSet):
        items = [ErrorSummaryItem(_first_target(form.forms[0]) if form.forms else "", str(e))
                 for e in form.non_form_errors()]
        for member in form.forms:
            items += form_error_items(member)
        return items
    if not form.is_bound or not form.errors:
        return []
    items = []
    target = _non_field_target(form)
    for error in form.non_field_errors():
        items.append(ErrorSummaryItem(target, str(error)))
    for bound_field in form:
        for error in bound_field.errors:
            items.append(ErrorSummaryItem(field_target(bound_field), f"{bound_field.label}: {error}"))
    return items


def _first_target(form) -> str:
    visible = form.visible_fields()
    return field_target(visible[0]) if visible else ""


def _non_field_target(form) -> str:
    names = getattr(form, "non_field_error_fields", ())
    if names and names[0] in form.fields:
        return field_target(form[names[0]])
    return _first_target(form)


def _is_form(value) -> bool:
    # type(), not isinstance(): isinstance() on a lazy context value (the CSRF token, the user)
    # evaluates it, which sets a CSRF cookie or reads the session on pages that need neither
    # (and a cookie keeps a visitor's guide page out of the page cache).
    return issubclass(type(value), forms.BaseForm | BaseFormSet)


def page_error_items(context: Mapping) -> list[ErrorSummaryItem]:
    """The summary for a page: the view's explicit `error_summary` items, then every bound form
    with errors that the template context holds (`form`, `cancel_form`, a formset ...)."""
    items = list(context.get("error_summary") or [])
    seen = set()
    for value in context.values():
        if _is_form(value) and id(value) not in seen:
            seen.add(id(value))
            items += form_error_items(value)
    return items


class AccessibleFormMixin:
    """For every portal form. `non_field_error_fields`: the fields a form-level error is about
    (sign-in: email and password), which then carry aria-invalid and are described by it."""

    use_required_attribute = False
    non_field_error_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # aria-required is not allowed on a radio or checkbox; their legend says "required".
            if field.required and not isinstance(field.widget, (*CHOICE_WIDGETS, forms.CheckboxInput)):
                field.widget.attrs.setdefault("aria-required", "true")

    @property
    def non_field_errors_id(self) -> str:
        return f"{(self.auto_id or 'id_%s') % 'form'}_errors"

    def full_clean(self):
        super().full_clean()
        if self.errors:
            # The error summary takes focus on load; an autofocus field would race it for focus.
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
        if not self.non_field_errors():
            return
        for name in self.non_field_error_fields:
            if name not in self.fields:
                continue
            bound_field = self[name]
            described = [self.non_field_errors_id]
            if bound_field.help_text:
                described.append(f"{bound_field.auto_id}_helptext")
            if name in self.errors:
                described.append(f"{bound_field.auto_id}_error")
            self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names, or on top of the form when it
    names none (a plain message has no message_dict: reading it would be a 500)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
