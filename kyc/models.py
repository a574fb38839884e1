import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kyc.crypto import EncryptedJSONField, EncryptedNikField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account: an applicant, a reviewer or an operator. Logs in with its email."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # The owner's personal data erased (their request): the account stays, deactivated.
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="kyc_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class Profile(models.Model):
    """What the applicant declares about themselves; the card is checked against it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(max_length=120, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    nik = EncryptedNikField(blank=True, default="")
    # Keyed hash of the NIK (blind index): equality look-ups without decrypting.
    nik_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    phone = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class DocType(models.TextChoices):
    KTP = "KTP", "KTP (identity card)"
    NPWP = "NPWP", "NPWP (tax card)"


class Status(models.TextChoices):
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    OCR_COMPLETED = "ocr_completed"
    AI_EVALUATED = "ai_evaluated"
    AUTO_APPROVED = "auto_approved"
    AUTO_REJECTED = "auto_rejected"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"
    # A re-upload is asked for (a reviewer or the scorer): the client's applicant is
    # `action_required`; the retry is a new document.
    RESUBMISSION_REQUESTED = "resubmission_requested"


TERMINAL_STATUSES = frozenset(
    {
        Status.AUTO_APPROVED,
        Status.AUTO_REJECTED,
        Status.APPROVED,
        Status.REJECTED,
        Status.RESUBMISSION_REQUESTED,
    }
)
VERIFIED_STATUSES = frozenset({Status.AUTO_APPROVED, Status.APPROVED})
# Statuses in which a document still stands for its owner: re-uploading the same
# bytes returns it instead of starting over.
ACTIVE_STATUSES = frozenset(
    set(Status) - {Status.FAILED, Status.AUTO_REJECTED, Status.REJECTED, Status.RESUBMISSION_REQUESTED}
)


class ActorKind(models.TextChoices):
    USER = "user"
    REVIEWER = "reviewer"
    SYSTEM = "system"
    BULI2 = "buli2"
    OPERATOR = "operator"


class Document(ConcurrentTransitionMixin, models.Model):
    """An uploaded card image and its way through the lifecycle in DESIGN.md.

    `status` changes only through the transition methods below (protected field);
    services call them under a row lock and record a DocumentTransition each time.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(max_length=8, choices=DocType.choices)
    status = FSMField(default=Status.UPLOADED, choices=Status.choices, protected=True, db_index=True)
    storage_key = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    detected_type = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    gpu_processed = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    correlation_id = models.CharField(max_length=128)
    idempotency_key = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    # Set once the OCR message is on the broker; empty while a send is owed (broker
    # down at upload, or a crash between commit and send): the reaper sends it.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The applicant's consent given with the upload: the privacy notice's version and when.
    consent_notice_version = models.CharField(max_length=40, blank=True, default="")
    consented_at = models.DateTimeField(null=True, blank=True)
    # Personal data removed (retention purge or the owner's erasure): the row stays,
    # anonymised (status, score, reason codes, timestamps, audit trail), for statistics.
    personal_data_removed_at = models.DateTimeField(null=True, blank=True)
    # The files (image, readings) deleted from storage, after the removal committed.
    files_removed_at = models.DateTimeField(null=True, blank=True)
    # What to fix in the retake (a code of kyc.integrations.messages.RETAKE_HINTS).
    resubmission_hint = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="kyc_document_idempotency_key_per_owner",
            ),
            # The same bytes uploaded in parallel by one applicant make one document.
            models.UniqueConstraint(
                fields=["owner", "sha256"],
                condition=models.Q(status__in=sorted(ACTIVE_STATUSES)),
                name="kyc_document_one_active_per_image",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100),
                name="kyc_document_score_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(doc_type__in=DocType.values), name="kyc_document_doc_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="kyc_document_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["owner", "sha256"]), models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.id}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    # --- transitions: no side effects beyond this row's fields ----------------------
    @transition(field=status, source=[Status.UPLOADED, Status.FAILED], target=Status.PROCESSING)
    def start_processing(self) -> None:
        self.attempts += 1
        self.failure_reason = ""
        self.processing_started_at = timezone.now()
        self.dispatched_at = None

    @transition(field=status, source=Status.PROCESSING, target=Status.PROCESSING)
    def retry(self) -> None:
        self.attempts += 1
        self.processing_started_at = timezone.now()
        self.dispatched_at = None

    @transition(field=status, source=Status.PROCESSING, target=Status.FAILED)
    def fail(self, reason: str) -> None:
        self.failure_reason = reason[:300]

    @transition(field=status, source=Status.PROCESSING, target=Status.OCR_COMPLETED)
    def complete_ocr(self, *, gpu_processed: bool) -> None:
        self.gpu_processed = gpu_processed

    @transition(field=status, source=Status.OCR_COMPLETED, target=Status.AI_EVALUATED)
    def record_evaluation(self, *, score: int, reasons: list[dict]) -> None:
        self.score = score
        self.reasons = reasons

    @transition(field=status, source=Status.AI_EVALUATED, target=Status.AUTO_APPROVED)
    def auto_approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.AI_EVALUATED, target=Status.AUTO_REJECTED)
    def auto_reject(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.AI_EVALUATED, target=Status.NEEDS_REVIEW)
    def send_to_review(self) -> None:
        pass

    @transition(field=status, source=Status.NEEDS_REVIEW, target=Status.NEEDS_REVIEW)
    def rescore(self, *, score: int, reasons: list[dict]) -> None:
        # New evidence (the applicant's KTP arrived after their NPWP): the score and its
        # reasons change, the decision stays with the human already asked.
        self.score = score
        self.reasons = reasons

    @transition(field=status, source=Status.NEEDS_REVIEW, target=Status.APPROVED)
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.NEEDS_REVIEW, target=Status.REJECTED)
    def reject(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=status, source=[Status.AI_EVALUATED, Status.NEEDS_REVIEW], target=Status.RESUBMISSION_REQUESTED
    )
    def request_resubmission(self, *, hint: str) -> None:
        self.resubmission_hint = hint
        self.decided_at = timezone.now()


class DocumentTransition(models.Model):
    """The audit trail: one row per status change, never updated or deleted."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=30, choices=Status.choices)
    to_status = models.CharField(max_length=30, choices=Status.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["document", "at"])]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.from_status} -> {self.to_status}"


class OcrResult(models.Model):
    """What the OCR engine read off a document's card, saved once by the pipeline.

    The fields (name, NIK, birth date, address...) are personal data: encrypted at
    rest as one JSON object, with a blind index of the card's NIK beside them for the
    duplicate-identity check. Confidence, quality and checks carry no personal data.
    """

    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, primary_key=True, related_name="ocr_result"
    )
    doc_type = models.CharField(max_length=8)  # what the engine saw: KTP, NPWP or UNKNOWN
    fields = EncryptedJSONField(default=dict)
    nik_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    confidence = models.JSONField(default=dict)
    quality = models.JSONField(default=dict)
    checks = models.JSONField(default=list)  # engine's consistency checks: [{code, message}]
    timings_ms = models.JSONField(default=dict)
    providers = models.JSONField(default=list)
    gpu_processed = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    reading_key = models.CharField(max_length=255)  # the full reading JSON in private storage
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"OCR of {self.document_id}"


class LegalHold(models.Model):
    """An applicant whose data must be kept (litigation, a regulator's request): never
    purged by retention, never erased on request, until an operator lifts the hold."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="legal_hold")
    reason = models.CharField(max_length=500)
    placed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="kyc_legal_hold_has_reason")
        ]

    def __str__(self) -> str:
        return f"legal hold on {self.user_id}"


class PrivacyAction(models.TextChoices):
    EXPORTED = "exported"
    ERASED = "erased"
    PURGED = "purged"
    HOLD_PLACED = "hold_placed"
    HOLD_LIFTED = "hold_lifted"


class PrivacyEvent(models.Model):
    """The personal-data audit trail: exports, erasures, purges, legal holds. Never
    updated; holds ids and counts, never personal values."""

    subject = models.ForeignKey(User, on_delete=models.PROTECT, related_name="privacy_events")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="privacy_events"
    )
    action = models.CharField(max_length=20, choices=PrivacyAction.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"]), models.Index(fields=["subject", "at"])]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.action}"


# The integrator models (API keys, applicants, webhooks) live in their own module.
from kyc.integrations.models import (  # noqa: E402, F401
    ApiKey,
    Applicant,
    ApplicantStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
