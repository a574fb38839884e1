"""The client API: parse, call one service or selector, serialize."""

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filot.api import Pagination, StrictSerializer, error_responses
from filot.errors import PayloadTooLarge
from filot.ratelimits import rate_limited, setting_rate
from kyc import selectors, services
from kyc.crypto import mask_nik
from kyc.images import private_image_response
from kyc.models import DocType, Document

UPLOAD_LIMITS = [("user_or_ip", setting_rate("UPLOAD_RATE_LIMIT")), ("ip", setting_rate("UPLOAD_RATE_LIMIT"))]
VERIFY_LIMITS = [("user_or_ip", setting_rate("VERIFY_RATE_LIMIT")), ("ip", setting_rate("VERIFY_RATE_LIMIT"))]
MASKED_FIELDS = ("nik", "npwp")


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    effect = serializers.IntegerField()
    message = serializers.CharField()


class DocumentOutput(serializers.ModelSerializer):
    reasons = ReasonSerializer(many=True, read_only=True)
    # Not get_fields: that name is Serializer's own method.
    fields = serializers.SerializerMethodField(method_name="read_fields")
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id", "doc_type", "status", "score", "decision", "reasons", "fields", "failure_reason",
            "gpu_processed", "width", "height", "size_bytes", "created_at", "updated_at",
        ]  # fmt: skip

    def read_fields(self, document: Document) -> dict[str, str]:
        reading = getattr(document, "ocr_result", None)
        fields = dict(reading.fields) if reading is not None else {}
        for name in MASKED_FIELDS:
            if fields.get(name):
                fields[name] = mask_nik(fields[name])
        return fields

    def get_decision(self, document: Document) -> str | None:
        return document.status if document.is_terminal else None


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=Pagination.max_page_size, required=False)


class DocumentPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DocumentOutput(many=True)


class DocumentsApi(APIView):
    class DocumentsInput(StrictSerializer):
        doc_type = serializers.ChoiceField(choices=DocType.choices)
        file = serializers.FileField(allow_empty_file=True)
        consent = serializers.BooleanField(help_text="Must be true: consent to the privacy notice.")
        privacy_notice_version = serializers.CharField(max_length=40, required=False)

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
            user=request.user,
            doc_type=data.validated_data["doc_type"],
            file=data.validated_data["file"],
            consent=data.validated_data["consent"],
            notice_version=data.validated_data.get("privacy_notice_version"),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:128] or None,
        )
        return Response(DocumentOutput(document).data, status=201 if created else 200)

    @extend_schema(
        operation_id="documents_list",
        parameters=[PageQuery],
        responses={200: DocumentPage, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        PageQuery(data=request.query_params).is_valid(raise_exception=True)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.list_documents_for_user(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(DocumentOutput(page, many=True).data)


class DocumentDetailApi(APIView):
    @extend_schema(responses={200: DocumentOutput, **error_responses(401, 404)})
    def get(self, request: Request, document_id: str) -> Response:
        document = selectors.get_document_for_user(user=request.user, document_id=document_id)
        return Response(DocumentOutput(document).data)


class DocumentImageApi(APIView):
    @extend_schema(
        responses={(200, "image/*"): bytes, **error_responses(401, 404)},
        description="The stored (normalized, metadata-free) image, for its owner only.",
    )
    def get(self, request: Request, document_id: str) -> FileResponse:
        document = selectors.get_document_for_user(user=request.user, document_id=document_id)
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


def status_payload(document: Document) -> dict:
    return {
        "id": document.id,
        "status": document.status,
        "score": document.score,
        "decision": document.status if document.is_terminal else None,
        "reasons": document.reasons,
        "timeline": selectors.document_timeline(document=document),
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
            user=request.user, document_id=data.validated_data["document_id"]
        )
        document = services.start_kyc_workflow(
            document_id=document.id, actor_kind="user", actor_id=str(request.user.id)
        )
        return Response(StatusOutput(status_payload(document)).data, status=status.HTTP_202_ACCEPTED)


class VerificationStatusApi(APIView):
    @extend_schema(responses={200: StatusOutput, **error_responses(401, 404, 429)})
    @rate_limited("verification", VERIFY_LIMITS)
    def get(self, request: Request, document_id: str) -> Response:
        document = selectors.get_document_for_user(user=request.user, document_id=document_id)
        return Response(StatusOutput(status_payload(document)).data)


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

        def get_nik(self, profile: object) -> str:
            return mask_nik(profile.nik) if profile.nik else ""

    @extend_schema(responses={200: ProfileOutput, **error_responses(401)})
    def get(self, request: Request) -> Response:
        return Response(self.ProfileOutput(selectors.get_profile(user=request.user)).data)

    @extend_schema(request=ProfileInput, responses={200: ProfileOutput, **error_responses(400, 401)})
    def put(self, request: Request) -> Response:
        data = self.ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.update_profile(user=request.user, **data.validated_data)
        return Response(self.ProfileOutput(profile).data)
