"""Applicants of an API-key client, their overall status, and the reads scoped to a key."""

import datetime as dt
import uuid

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404

from filot.errors import Conflict
from kyc.integrations.models import ApiKey, Applicant, ApplicantStatus
from kyc.models import VERIFIED_STATUSES, DocType, Document, Status, User
from kyc.services.accounts import update_profile

APPLICANT_EMAIL_DOMAIN = "applicants.filot.invalid"
_REJECTED = {Status.AUTO_REJECTED, Status.REJECTED}
_ACTION_REQUIRED = {Status.RESUBMISSION_REQUESTED, Status.FAILED}


def create_applicant(
    *, api_key: ApiKey, external_id: str, full_name: str, date_of_birth: dt.date | None, nik: str = ""
) -> Applicant:
    """A new applicant for `api_key`; its `external_id` must be new for the key (else 409)."""
    try:
        with transaction.atomic():
            applicant_id = uuid.uuid4()
            user = User.objects.create(
                email=f"{applicant_id}@{APPLICANT_EMAIL_DOMAIN}",
                password=make_password(None),
                is_active=False,
            )
            applicant = Applicant.objects.create(
                id=applicant_id, api_key=api_key, external_id=external_id, user=user
            )
            update_profile(user=user, full_name=full_name, date_of_birth=date_of_birth, nik=nik, phone="")
    except IntegrityError as error:
        if Applicant.objects.filter(api_key=api_key, external_id=external_id).exists():
            raise Conflict("An applicant with this external_id already exists for this API key.") from error
        raise
    return applicant


def overall_status(*, user: User) -> str:
    """The applicant's status from the latest KTP and the latest NPWP (if any).

    rejected: a latest card was rejected; action_required: a re-upload is asked for (or
    the latest card could not be processed); verified: the KTP, and the NPWP when one was
    sent, are verified; pending otherwise (nothing sent yet, or still in progress).
    """
    latest: dict[str, str] = {}
    for doc_type, status in (
        Document.objects.filter(owner=user).order_by("-created_at").values_list("doc_type", "status")
    ):
        latest.setdefault(doc_type, status)
    statuses = set(latest.values())
    if statuses & _REJECTED:
        return ApplicantStatus.REJECTED
    if statuses & _ACTION_REQUIRED:
        return ApplicantStatus.ACTION_REQUIRED
    if DocType.KTP in latest and statuses <= VERIFIED_STATUSES:
        return ApplicantStatus.VERIFIED
    return ApplicantStatus.PENDING


def list_applicants_for_key(*, api_key: ApiKey, external_id: str | None = None) -> QuerySet[Applicant]:
    applicants = Applicant.objects.filter(api_key=api_key).order_by("-created_at")
    if external_id is not None:
        applicants = applicants.filter(external_id=external_id)
    return applicants


def get_applicant_for_key(*, api_key: ApiKey, applicant_id: uuid.UUID | str) -> Applicant:
    """The key's own applicant; another key's answers 404 exactly like a missing one."""
    try:
        return Applicant.objects.select_related("user").get(pk=applicant_id, api_key=api_key)
    except (Applicant.DoesNotExist, ValidationError, ValueError, TypeError) as error:
        raise Http404("Not found.") from error


def applicant_documents(*, applicant: Applicant) -> QuerySet[Document]:
    return Document.objects.filter(owner_id=applicant.user_id).order_by("-created_at")
