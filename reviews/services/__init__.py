"""Every write of the reviews app, by subdomain: the workflow, BULI2, the Reviewers group.

Interfaces (admin, callback API, actor, commands) import from here.
"""

from reviews.services.forwarding import forward_review, record_buli2_callback
from reviews.services.reviewers import (
    REVIEWER_PERMISSIONS,
    REVIEWERS_GROUP,
    ensure_reviewer,
    ensure_reviewers_group,
    register_reviewer,
)
from reviews.services.workflow import (
    BULI2,
    SYSTEM,
    Actor,
    claim_review,
    complete_manual_review,
    fail_review,
    open_manual_review,
    record_nik_reveal,
    release_review,
    reopen_review,
    request_reupload,
)

__all__ = [
    "BULI2",
    "REVIEWERS_GROUP",
    "REVIEWER_PERMISSIONS",
    "SYSTEM",
    "Actor",
    "claim_review",
    "complete_manual_review",
    "ensure_reviewer",
    "ensure_reviewers_group",
    "fail_review",
    "forward_review",
    "open_manual_review",
    "record_buli2_callback",
    "record_nik_reveal",
    "register_reviewer",
    "release_review",
    "reopen_review",
    "request_reupload",
]
