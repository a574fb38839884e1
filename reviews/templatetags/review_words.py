"""Template filters for reviewers' words: a status, a state or a decision in the page's language."""

from django import template

from kyc import labels
from reviews import reason_texts

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    return labels.document_status(str(status or ""))


@register.filter
def state_label(state: str) -> str:
    return reason_texts.review_state(str(state or ""))


@register.filter
def decision_label(decision: str) -> str:
    return reason_texts.decision_label(str(decision or ""))
