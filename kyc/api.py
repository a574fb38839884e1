"""The client API: parse, call one service or selector, serialize."""

import enum
from typing import Final, Literal

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from filot.api import Pagination, StrictSerializer, error_responses
from filot.errors import PayloadTooLarge
from filot.ratelimits import rate_limited, setting_rate
from kyc import selectors, services
from kyc.crypto import mask_nik
from kyc.images import private_image_response
from kyc.integrations.applicants import overall_status
from kyc.integrations.messages import DEFAULT_LANGUAGE, language_from_header, reason_message
from kyc.models import ActorKind, DocType, Document, OcrResult, Profile
from kyc.signed_in import signed_in_user

UPLOAD_LIMITS = [("user_or_ip", setting_rate("UPLOAD_RATE_LIMIT")), ("ip", setting_rate("UPLOAD_RATE_LIMIT"))]
VERIFY_LIMITS = [("user_or_ip", setting_rate("VERIFY_RATE_LIMIT")), ("ip", setting_rate("VERIFY_RATE_LIMIT"))]
MASKED_FIELDS = ("nik", "npwp")


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    effect = serializers.IntegerField()
    message = serializers.CharField()
    applicant_message = serializers.SerializerMethodField(
        help_text="Fit to show the applicant: Bahasa Indonesia, or English with `Accept-Language: en`."
    )

    def get_applicant_message(self, reason: dict) -> str:
        return reason_message(reason["code"], self.context.get("language", DEFAULT_LANGUAGE))


def language_of(request: Request) -> str:
    """The language of the applicant-facing messages (Accept-Language; Bahasa Indonesia by default)."""
    return language_from_header(request.headers.get("Accept-Language"))


class DocumentOutput(serializers.ModelSerializer):
    reasons = ReasonSerializer(many=True, read_only=True)
    # Not get_fields: that name is Serializer's own method.
    # DRF's metaclass moves declared fields out of the class namespace: no clash with `Serializer.fields`.
    fields = serializers.SerializerMethodField(method_name="read_fields")  # type: ignore[assignment]
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id", "doc_type", "status", "score", "decision", "reasons", "fields", "failure_reason",
            "gpu_processed", "width", "height", "size_bytes", "created_at", "updated_at",
        ]  # fmt: skip

    def read_fields(self, document: Document) -> dict[str, str]:
        return _masked_fields(getattr(document, "ocr_result", None))

    def get_decision(self, document: Document) -> str | None:
        return document.status if document.is_terminal else None


# The hot reads format by hand what the serializers above describe (they stay the
# OpenAPI schema; tests/kyc/test_read_payloads.py holds the two equal): building a
# ModelSerializer per response costs more than the rest of the request.
_DATETIME = serializers.DateTimeField()  # DRF's own formatting (zone, ISO 8601, "Z")


class _Unknown(enum.Enum):
    READING = "look the reading up"


_UNKNOWN: Final = _Unknown.READING


def _masked_fields(reading: OcrResult | None) -> dict[str, str]:
    return _masked(reading.fields if reading is not None else None)


def _masked(read: dict | None) -> dict[str, str]:
    fields = dict(read) if read else {}
    for name in MASKED_FIELDS:
        if fields.get(name):
            fields[name] = mask_nik(fields[name])
    return fields


def document_payload(
    document: Document | selectors.DocumentSummary,
    reading: OcrResult | Literal[_Unknown.READING] | None = _UNKNOWN,
    *,
    language: str = DEFAULT_LANGUAGE,
) -> dict:
    """DocumentOutput's representation. A summary carries its reading's fields; for a
    model the reading comes from select_related, or is given (None for a new upload);
    otherwise it is looked up."""
    if isinstance(document, selectors.DocumentSummary):
        fields = _masked(document.fields)
    else:
        fields = _masked_fields(getattr(document, "ocr_result", None) if reading is _UNKNOWN else reading)
    return {
        "id": str(document.id),
        "doc_type": document.doc_type,
        "status": document.status,
        "score": document.score,
        "decision": document.status if document.is_terminal else None,
        "reasons": [_reason(reason, language) for reason in document.reasons],
        "fields": fields,
        "failure_reason": document.failure_reason,
        "gpu_processed": document.gpu_processed,
        "width": document.width,
        "height": document.height,
        "size_bytes": document.size_bytes,
        "created_at": _DATETIME.to_representation(document.created_at),
        "updated_at": _DATETIME.to_representation(document.updated_at),
    }


def _reason(reason: dict, language: str) -> dict:
    """ReasonSerializer's representation: the reviewer-facing message and the applicant's."""
    code = str(reason["code"])
    return {
        "code": code,
        "effect": int(reason["effect"]),
        "message": str(reason["message"]),
        "applicant_message": reason_message(code, language),
    }


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=Pagination.max_page_size, required=False)


class DocumentPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DocumentOutput(many=True)


# A card upload's form: the applicants' own (`DocumentsApi`) and the integrators'. (No
# docstring: the OpenAPI components' descriptions stay StrictSerializer's.)
class UploadInput(StrictSerializer):
    doc_type = serializers.ChoiceField(choices=DocType.choices)
    file = serializers.FileField(allow_empty_file=True)
    consent = serializers.BooleanField(help_text="Must be true: consent to the privacy notice.")
    privacy_notice_version = serializers.CharField(max_length=40, required=False)


class DocumentsApi(APIView):
    class DocumentsInput(UploadInput):  # its name is the OpenAPI component's
        pass

    @extend_schema(
        operation_id="documents_create",
        request={"multipart/form-data": DocumentsInput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={201: DocumentOutput, 200: DocumentOutput, **error_responses(400, 401, 409, 413, 429)},
        description="Upload a card photo (JPEG, PNG or WebP, at most 2 MB) with `consent=true` (the "
        "applicant's consent to the current privacy notice, recorded with its version and time). "
        "Identical bytes re-uploaded while their document is active, or a retry with the same "
        "Idempotency-Key, answer 200 with it.",
    )
    @rate_limited("documents-upload", UPLOAD_LIMITS)
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(f"Uploads are limited to {settings.DOCUMENT_MAX_BYTES} bytes.")
        data = self.DocumentsInput(data=request.data)
        data.is_valid(raise_exception=True)
        document, created = services.submit_document(
            user=signed_in_user(request),
            doc_type=data.validated_data["doc_type"],
            file=data.validated_data["file"],
            consent=data.validated_data["consent"],
            notice_version=data.validated_data.get("privacy_notice_version"),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:128] or None,
        )
        # A new upload has no reading yet: no query to find that out.
        lang = language_of(request)
        payload = document_payload(document, None if created else _UNKNOWN, language=lang)
        return Response(payload, status=201 if created else 200)

    @extend_schema(
        operation_id="documents_list",
        parameters=[PageQuery],
        responses={200: DocumentPage, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        query = PageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = query.validated_data.get("page", 1)
        page_size = query.validated_data.get("page_size", Pagination.page_size)
        documents, total = selectors.page_documents_for_user(
            user=signed_in_user(request), page=page, page_size=page_size
        )
        if total is None:
            raise NotFound("Invalid page.")
        language = language_of(request)
        return Response({
            "count": total,
            "next": _page_link(request, page + 1) if page * page_size < total else None,
            "previous": _page_link(request, page - 1) if page > 1 else None,
            "results": [document_payload(document, language=language) for document in documents],
        })  # fmt: skip


def _page_link(request: Request, page: int) -> str:
    """The links DRF's PageNumberPagination gives (page 1 without the parameter)."""
    url = request.build_absolute_uri()
    return remove_query_param(url, "page") if page == 1 else replace_query_param(url, "page", page)


class DocumentDetailApi(APIView):
    @extend_schema(responses={200: DocumentOutput, **error_responses(401, 404)})
    def get(self, request: Request, document_id: str) -> Response:
        user = signed_in_user(request)
        document = selectors.get_document_summary_for_user(user=user, document_id=document_id)
        return Response(document_payload(document, language=language_of(request)))


class DocumentImageApi(APIView):
    @extend_schema(
        responses={(200, "image/*"): bytes, **error_responses(401, 404)},
        description="The stored (normalized, metadata-free) image, for its owner only.",
    )
    def get(self, request: Request, document_id: str) -> FileResponse:
        document = selectors.get_document_for_user(user=signed_in_user(request), document_id=document_id)
        return private_image_response(document)


class TransitionOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()
    actor_kind = serializers.CharField()
    reason = serializers.CharField()


class StatusOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    decision = serializers.CharField(allow_null=True)
    reasons = ReasonSerializer(many=True)
    timeline = TransitionOutput(many=True)


def status_payload(found: selectors.DocumentStatus, *, language: str = DEFAULT_LANGUAGE) -> dict:
    """StatusOutput's representation (see document_payload)."""
    return {
        "id": str(found.id),
        "status": found.status,
        "score": found.score,
        "decision": found.status if found.is_terminal else None,
        "reasons": [_reason(reason, language) for reason in found.reasons],
        "timeline": [client_transition(transition) for transition in found.timeline],
    }


# A reviewer's (or BULI2's) own words are never shown to the client.
_PRIVATE_REASONS = (ActorKind.REVIEWER, ActorKind.BULI2)


def client_transition(transition: dict) -> dict:
    """A timeline entry for the client (TIMELINE_FIELDS of one transition)."""
    private = transition["actor_kind"] in _PRIVATE_REASONS
    return {
        **transition,
        "at": _DATETIME.to_representation(transition["at"]),
        "reason": "" if private else transition["reason"],
    }


class VerificationEvaluateApi(APIView):
    class VerificationEvaluateInput(StrictSerializer):
        document_id = serializers.UUIDField()

    @extend_schema(
        request=VerificationEvaluateInput,
        responses={202: StatusOutput, **error_responses(400, 401, 404, 409, 429)},
    )
    @rate_limited("verification", VERIFY_LIMITS)
    def post(self, request: Request) -> Response:
        data = self.VerificationEvaluateInput(data=request.data)
        data.is_valid(raise_exception=True)
        document = selectors.get_document_for_user(
            user=signed_in_user(request), document_id=data.validated_data["document_id"]
        )
        services.start_kyc_workflow(document_id=document.id, actor_kind="user", actor_id=str(request.user.id))
        found = selectors.get_document_status_for_user(user=signed_in_user(request), document_id=document.id)
        return Response(status_payload(found, language=language_of(request)), status=status.HTTP_202_ACCEPTED)


class VerificationStatusApi(APIView):
    @extend_schema(responses={200: StatusOutput, **error_responses(401, 404, 429)})
    @rate_limited("verification", VERIFY_LIMITS)
    def get(self, request: Request, document_id: str) -> Response:
        found = selectors.get_document_status_for_user(user=signed_in_user(request), document_id=document_id)
        return Response(status_payload(found, language=language_of(request)))


class ProfileApi(APIView):
    class ProfileInput(StrictSerializer):
        full_name = serializers.CharField(max_length=120, allow_blank=True)
        date_of_birth = serializers.DateField(allow_null=True)
        nik = serializers.RegexField(r"^\d{16}$", allow_blank=True, required=False, default="")
        phone = serializers.RegexField(
            r"^\+?[0-9 -]{6,19}$", max_length=20, allow_blank=True, required=False, default=""
        )

    class ProfileOutput(serializers.Serializer):
        full_name = serializers.CharField()
        date_of_birth = serializers.DateField(allow_null=True)
        nik = serializers.SerializerMethodField()
        phone = serializers.CharField()
        status = serializers.SerializerMethodField(help_text="The applicant's overall status.")

        def get_status(self, profile: Profile) -> str:
            return overall_status(user=profile.user)

        def get_nik(self, profile: Profile) -> str:
            return mask_nik(profile.nik) if profile.nik else ""

    @extend_schema(responses={200: ProfileOutput, **error_responses(401)})
    def get(self, request: Request) -> Response:
        return Response(self.ProfileOutput(selectors.get_profile(user=signed_in_user(request))).data)

    @extend_schema(request=ProfileInput, responses={200: ProfileOutput, **error_responses(400, 401)})
    def put(self, request: Request) -> Response:
        data = self.ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.update_profile(user=signed_in_user(request), **data.validated_data)
        return Response(self.ProfileOutput(profile).data)
