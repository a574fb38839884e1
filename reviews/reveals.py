"""A reviewer's audited NIK reveal, held in their session for the one page view it allows.

The reveal is a POST (audited with its reason) answered by a redirect; the page that
follows shows the full NIK and links the original card image with a one-time token.
Showing the page uses up the page grant and fetching the image its token, so a refresh
shows the masked page and the blurred card again, and nothing is audited twice.
Grants expire after NIK_REVEAL_SECONDS.
"""

import secrets
import time
import uuid

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "nik_reveals"


def _grants(request: HttpRequest) -> dict:
    now = time.time()
    grants = {
        key: grant for key, grant in request.session.get(SESSION_KEY, {}).items() if grant["until"] > now
    }
    request.session[SESSION_KEY] = grants
    return grants


def grant(request: HttpRequest, *, review_id: uuid.UUID) -> None:
    grants = _grants(request)
    grants[str(review_id)] = {"until": time.time() + settings.NIK_REVEAL_SECONDS, "page": True, "image": ""}
    request.session.modified = True


def take_page(request: HttpRequest, *, review_id: uuid.UUID) -> str | None:
    """The image token of a reveal not yet shown (and now used up), or None."""
    held = _grants(request).get(str(review_id))
    if held is None or not held["page"] or not request.user.has_perm("reviews.reveal_nik"):
        return None
    held["page"], held["image"] = False, secrets.token_urlsafe(16)
    request.session.modified = True
    return held["image"]


def take_image(request: HttpRequest, *, review_id: uuid.UUID, token: str) -> bool:
    """Whether this request may have the original image (once per reveal)."""
    held = _grants(request).get(str(review_id))
    if not token or held is None or not held["image"] or not request.user.has_perm("reviews.reveal_nik"):
        return False
    if not secrets.compare_digest(held["image"], token):
        return False
    del _grants(request)[str(review_id)]
    request.session.modified = True
    return True
