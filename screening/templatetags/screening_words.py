from django import template

from screening.models import patient_term as _patient_term

register = template.Library()


@register.filter
def patient_term(term: str) -> str:
    """A checklist term as patients see it: US spelling, no clinician's note (Condition.term_for_patients)."""
    return _patient_term(str(term))
