"""The integrator models. Imported at the end of kyc/models.py (app label `kyc`)."""

import uuid

from django.db import models
from django.utils import timezone

from kyc.crypto import EncryptedJSONField


class ApiKey(models.Model):
    """A client backend's credential: `flk_<prefix>_<secret>`; only a hash of it is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)  # the public part, for look-up
    secret_hash = models.CharField(max_length=64)  # HMAC-SHA256 of the whole key, hex
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApplicantStatus(models.TextChoices):
    PENDING = "pending"
    ACTION_REQUIRED = "action_required"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Applicant(models.Model):
    """A person an API-key client verifies, known to it by `external_id`.

    Backed by an account of its own (no password, cannot log in), so documents,
    profile and scoring work exactly as in the end-user flow.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="applicants")
    external_id = models.CharField(max_length=128)
    user = models.OneToOneField("kyc.User", on_delete=models.PROTECT, related_name="applicant")
    status = models.CharField(max_length=20, choices=ApplicantStatus.choices, default=ApplicantStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "external_id"], name="kyc_applicant_external_id_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicantStatus.values), name="kyc_applicant_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"applicant {self.external_id}"


class WebhookEvent(models.TextChoices):
    DOCUMENT_DECIDED = "document.decided"
    DOCUMENT_NEEDS_REVIEW = "document.needs_review"
    DOCUMENT_FAILED = "document.failed"
    APPLICANT_STATUS_CHANGED = "applicant.status_changed"


class WebhookEndpoint(models.Model):
    """Where a client wants its events. `secrets` (encrypted at rest) holds the current
    signing secret and, for 24 h after a roll, the previous one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secrets = EncryptedJSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """The outbox: one event for one endpoint, written in the transaction that made the
    change; `message_id` is the `webhook-id` header, the same on every attempt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message_id = models.CharField(max_length=40, unique=True)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="kyc_webhook_delivery_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
