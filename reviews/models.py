import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kyc.models import Document, User


class ReviewState(models.TextChoices):
    OPEN = "open"
    CLAIMED = "claimed"
    FORWARDED = "forwarded"
    COMPLETED = "completed"
    FAILED = "failed"


class Decision(models.TextChoices):
    APPROVE = "approve"
    REJECT = "reject"


# States in which somebody can still decide the document.
WORKABLE_STATES = (ReviewState.OPEN, ReviewState.CLAIMED, ReviewState.FORWARDED)


class ManualReview(ConcurrentTransitionMixin, models.Model):
    """A human's (or BULI2's) look at one `needs_review` document.

    `state` changes only through the transitions below, which services call under a
    row lock and record in `ReviewEvent`. The document's own status changes only
    through `kyc.services`, in the same transaction.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="manual_review")
    state = FSMField(default=ReviewState.OPEN, choices=ReviewState.choices, protected=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    decided_by_kind = models.CharField(max_length=10, blank=True)
    decided_by_id = models.CharField(max_length=64, blank=True)
    buli2_review_id = models.CharField(max_length=128, blank=True)
    forward_error = models.CharField(max_length=300, blank=True)
    # What a reviewer searches and sees of the card's NIK; the full one stays encrypted.
    nik_masked = models.CharField(max_length=20, blank=True, db_index=True)
    # SLA: how long the applicant has waited since the document needed a human.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("manual review")
        verbose_name_plural = _("manual reviews")
        permissions = [
            ("review_document", "Can claim, release and decide manual reviews"),
            ("reveal_nik", "Can reveal the full NIK on a review (each reveal is audited)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ReviewState.values), name="reviews_review_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ReviewState.CLAIMED)
                | models.Q(assignee__isnull=False, claim_expires_at__isnull=False),
                name="reviews_claimed_has_assignee_and_expiry",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ReviewState.COMPLETED) | ~models.Q(decision=""),
                name="reviews_completed_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"review of {self.document_id} ({self.state})"

    @property
    def claim_active(self) -> bool:
        return (
            self.state == ReviewState.CLAIMED
            and self.claim_expires_at is not None
            and self.claim_expires_at > timezone.now()
        )

    def claimed_by_other(self, user_id: object) -> bool:
        return self.claim_active and self.assignee_id != user_id

    @property
    def with_buli2(self) -> bool:
        """BULI2 holds a case for this undecided review, so BULI2 decides it: there is no
        call to withdraw a case from BULI2, and nothing local may close it behind its back."""
        return bool(self.buli2_review_id) and self.state in WORKABLE_STATES

    # --- transitions: no side effects beyond this row's fields ----------------------
    @transition(field=state, source=list(WORKABLE_STATES), target=ReviewState.CLAIMED)
    def claim(self, *, user: "User", until: dt.datetime) -> None:
        self.assignee = user
        self.claim_expires_at = until
        self.claimed_at = timezone.now()

    @transition(field=state, source=ReviewState.CLAIMED, target=ReviewState.OPEN)
    def release(self) -> None:
        self.assignee = None
        self.claim_expires_at = None

    # From `claimed` too: BULI2 took the case while a reviewer claimed it; BULI2 decides
    # it, so the claim ends.
    @transition(field=state, source=[ReviewState.OPEN, ReviewState.CLAIMED], target=ReviewState.FORWARDED)
    def forward(self, *, buli2_review_id: str) -> None:
        self.buli2_review_id = buli2_review_id[:128]
        self.forwarded_at = timezone.now()
        self.forward_error = ""
        self.assignee = None
        self.claim_expires_at = None

    @transition(field=state, source=list(WORKABLE_STATES), target=ReviewState.COMPLETED)
    def complete(self, *, decision: str, reason: str, actor_kind: str, actor_id: str) -> None:
        self.decision = decision
        self.reason = reason[:500]
        self.decided_by_kind = actor_kind
        self.decided_by_id = actor_id[:64]
        self.completed_at = timezone.now()
        self.claim_expires_at = None

    @transition(field=state, source=list(WORKABLE_STATES), target=ReviewState.FAILED)
    def fail(self, *, reason: str) -> None:
        self.reason = reason[:500]
        self.assignee = None
        self.claim_expires_at = None

    @transition(field=state, source=ReviewState.FAILED, target=ReviewState.OPEN)
    def reopen(self) -> None:
        self.reason = ""
        # A review failed here had BULI2's answer refused: reopened, it is this back
        # office's to decide, not a case still with BULI2 (the event names the old case).
        self.buli2_review_id = ""


class ReviewAction(models.TextChoices):
    OPENED = "opened"
    CLAIMED = "claimed"
    RELEASED = "released"
    FORWARDED = "forwarded"
    FORWARD_FAILED = "forward_failed"
    COMPLETED = "completed"
    FAILED = "failed"
    REOPENED = "reopened"
    NIK_REVEALED = "nik_revealed"


class ReviewEvent(models.Model):
    """The reviews audit trail: every action on a review, with who did it. Never updated."""

    review = models.ForeignKey(ManualReview, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=ReviewAction.choices)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=10)
    actor_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # BULI2's id of the callback event: a replayed callback finds its event here.
    external_event_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["review", "at"])]
        verbose_name = _("review event")
        verbose_name_plural = _("review events")

    def __str__(self) -> str:
        return f"{self.review_id}: {self.action}"
