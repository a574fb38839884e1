"""Words for people reading the admin: a document's status and who acted, translated
(the stored values stay the codes of kyc.models)."""

from django.utils.translation import gettext_lazy as _

DOCUMENT_STATUSES = {
    "uploaded": _("uploaded"),
    "processing": _("being read"),
    "ocr_completed": _("read"),
    "ai_evaluated": _("scored"),
    "auto_approved": _("approved automatically"),
    "auto_rejected": _("rejected automatically"),
    "needs_review": _("needs review"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    "failed": _("failed"),
    "resubmission_requested": _("re-upload requested"),
}
ACTOR_KINDS = {
    "user": _("applicant"),
    "reviewer": _("reviewer"),
    "system": _("system"),
    "buli2": "BULI2",
    "operator": _("operator"),
}


def document_status(status: str) -> str:
    text = DOCUMENT_STATUSES.get(status)
    return str(text) if text is not None else status


def actor_kind(kind: str) -> str:
    text = ACTOR_KINDS.get(kind)
    return str(text) if text is not None else kind
