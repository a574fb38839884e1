"""The integrator API (API key in `X-API-Key`): applicants and webhook endpoints.

Parse, call one service or selector, format. Client responses carry statuses, reason
codes and the fixed applicant-facing messages (kyc.integrations.messages) in the language
of `Accept-Language` (Bahasa Indonesia by default); never a reviewer's note, never a NIK.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filot.api import Pagination, StrictSerializer, error_responses
from filot.errors import PayloadTooLarge
from filot.ratelimits import rate_limited, setting_rate
from kyc import services
from kyc.api import UploadInput
from kyc.integrations import applicants, endpoints, schema
from kyc.integrations.api_keys import ApiKeyAuthentication
from kyc.integrations.messages import language_from_header, reason_message, retake_message
from kyc.integrations.models import ApiKey, ApplicantStatus, WebhookEvent
from kyc.models import DocType, Document, Status

KEY_LIMITS = [(lambda group, request: str(request.user.pk), setting_rate("API_KEY_RATE_LIMIT"))]
LANGUAGE_HEADER = OpenApiParameter(
    "Accept-Language", str, OpenApiParameter.HEADER, required=False, enum=["id", "en"],
    description="Language of the applicant-facing messages: `id` (default) or `en`.",
)  # fmt: skip


class ClientReason(serializers.Serializer):
    code = serializers.ChoiceField(choices=schema.REASON_CODE_CHOICES)
    message = serializers.CharField(help_text="Fit to show the applicant, in the language asked for.")


class ClientDocument(serializers.Serializer):
    id = serializers.UUIDField()
    doc_type = serializers.ChoiceField(choices=DocType.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    decision = serializers.ChoiceField(choices=schema.DECISION_CHOICES, allow_null=True)
    reasons = ClientReason(many=True)
    retake_hint = serializers.ChoiceField(choices=schema.RETAKE_HINT_CHOICES, allow_null=True)
    retake_message = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ClientApplicant(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicantStatus.choices)
    documents = ClientDocument(many=True)
    created_at = serializers.DateTimeField()


class ApplicantPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ClientApplicant(many=True)


def document_payload(document: Document, language: str) -> dict:
    """A document as a client sees it: no reviewer text, no personal data."""
    hint = document.resubmission_hint or None
    return {
        "id": document.id,
        "doc_type": document.doc_type,
        "status": document.status,
        "decision": document.status if document.is_terminal else None,
        "reasons": [
            {"code": reason["code"], "message": reason_message(reason["code"], language)}
            for reason in document.reasons or []
        ],
        "retake_hint": hint,
        "retake_message": retake_message(hint, language) if hint else None,
        "created_at": document.created_at,
        "updated_at": document.updated_at,
    }


def applicant_payload(applicant: applicants.Applicant, language: str) -> dict:
    documents = applicants.applicant_documents(applicant=applicant)
    return {
        "id": applicant.id,
        "external_id": applicant.external_id,
        "status": applicant.status,
        "documents": [document_payload(document, language) for document in documents],
        "created_at": applicant.created_at,
    }


class IntegratorApi(APIView):
    authentication_classes = (ApiKeyAuthentication,)
    permission_classes = (IsAuthenticated,)

    def language(self, request: Request) -> str:
        return language_from_header(request.headers.get("Accept-Language"))

    def api_key(self, request: Request) -> ApiKey:
        """The caller's key (ApiKeyAuthentication sets `request.auth`; IsAuthenticated refused the rest)."""
        if not isinstance(request.auth, ApiKey):
            raise NotAuthenticated()
        return request.auth

    def finalize_response(
        self, request: Request, response: Response, *args: object, **kwargs: object
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = self.language(request)
        response.setdefault("Vary", "Accept-Language")
        return response


class ApplicantsApi(IntegratorApi):
    class ApplicantInput(StrictSerializer):
        external_id = serializers.CharField(max_length=128)
        full_name = serializers.CharField(max_length=120)
        date_of_birth = serializers.DateField()
        nik = serializers.RegexField(r"^\d{16}$", required=False, default="")

    class ApplicantQuery(serializers.Serializer):
        external_id = serializers.CharField(max_length=128, required=False)
        page = serializers.IntegerField(min_value=1, required=False)
        page_size = serializers.IntegerField(min_value=1, max_value=Pagination.max_page_size, required=False)

    @extend_schema(
        operation_id="applicants_create",
        request=ApplicantInput,
        parameters=[LANGUAGE_HEADER],
        responses={201: ClientApplicant, **error_responses(400, 401, 409, 429)},
        examples=[schema.APPLICANT_CREATE, schema.APPLICANT, schema.CONFLICT],
        description="Create an applicant under the client's own `external_id` (unique per API key). "
        "A second applicant with the same `external_id` answers 409.",
    )
    @rate_limited("api-key", KEY_LIMITS)
    def post(self, request: Request) -> Response:
        data = self.ApplicantInput(data=request.data)
        data.is_valid(raise_exception=True)
        applicant = applicants.create_applicant(api_key=self.api_key(request), **data.validated_data)
        return Response(
            ClientApplicant(applicant_payload(applicant, self.language(request))).data, status=201
        )

    @extend_schema(
        operation_id="applicants_list",
        parameters=[ApplicantQuery, LANGUAGE_HEADER],
        responses={200: ApplicantPage, **error_responses(400, 401, 404, 429)},
        examples=[schema.APPLICANT_PAGE],
        description="The key's applicants, newest first; `external_id` finds one by the client's id.",
    )
    @rate_limited("api-key", KEY_LIMITS)
    def get(self, request: Request) -> Response:
        query = self.ApplicantQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = applicants.list_applicants_for_key(
            api_key=self.api_key(request), external_id=query.validated_data.get("external_id")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(found, request, view=self) or []
        language = self.language(request)
        return paginator.get_paginated_response(
            ClientApplicant([applicant_payload(applicant, language) for applicant in page], many=True).data
        )


class ApplicantDetailApi(IntegratorApi):
    @extend_schema(
        operation_id="applicants_retrieve",
        parameters=[LANGUAGE_HEADER],
        responses={200: ClientApplicant, **error_responses(401, 404, 429)},
        examples=[schema.APPLICANT],
    )
    @rate_limited("api-key", KEY_LIMITS)
    def get(self, request: Request, applicant_id: str) -> Response:
        applicant = applicants.get_applicant_for_key(api_key=self.api_key(request), applicant_id=applicant_id)
        return Response(ClientApplicant(applicant_payload(applicant, self.language(request))).data)


class ApplicantDocumentsApi(IntegratorApi):
    class DocumentInput(UploadInput):  # its name is the OpenAPI component's
        pass

    @extend_schema(
        operation_id="applicants_documents_create",
        request={"multipart/form-data": DocumentInput},
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
            LANGUAGE_HEADER,
        ],
        responses={201: ClientDocument, 200: ClientDocument, **error_responses(400, 401, 404, 409, 413, 429)},
        examples=[schema.DOCUMENT_EXAMPLE],
        description="Upload a card photo for the applicant (as `POST /api/v1/documents`). The decision "
        "arrives as the `document.decided` webhook, or poll the applicant.",
    )
    @rate_limited("api-key", KEY_LIMITS)
    def post(self, request: Request, applicant_id: str) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(f"Uploads are limited to {settings.DOCUMENT_MAX_BYTES} bytes.")
        applicant = applicants.get_applicant_for_key(api_key=self.api_key(request), applicant_id=applicant_id)
        data = self.DocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        document, created = services.submit_document(
            user=applicant.user,
            doc_type=data.validated_data["doc_type"],
            file=data.validated_data["file"],
            consent=data.validated_data["consent"],
            notice_version=data.validated_data.get("privacy_notice_version"),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:128] or None,
        )
        body = ClientDocument(document_payload(document, self.language(request))).data
        return Response(body, status=201 if created else 200)


class EndpointOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    created_at = serializers.DateTimeField()


class EndpointWithSecret(EndpointOutput):
    secret = serializers.CharField(help_text="The signing secret (`whsec_...`): shown only in this answer.")


class WebhookEndpointsApi(IntegratorApi):
    class EndpointInput(StrictSerializer):
        url = serializers.URLField(max_length=500)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, max_length=10
        )

    @extend_schema(
        operation_id="webhook_endpoints_create",
        request=EndpointInput,
        responses={201: EndpointWithSecret, **error_responses(400, 401, 429)},
        examples=[schema.ENDPOINT_CREATE, schema.ENDPOINT_WITH_SECRET],
        description="Register an https URL for the events it wants. The answer shows the signing "
        "secret once. Private, loopback and link-local addresses are refused.",
    )
    @rate_limited("api-key", KEY_LIMITS)
    def post(self, request: Request) -> Response:
        data = self.EndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = endpoints.create_webhook_endpoint(
            api_key=self.api_key(request), **data.validated_data
        )
        return Response(EndpointWithSecret({**_endpoint(endpoint), "secret": secret}).data, status=201)

    @extend_schema(
        operation_id="webhook_endpoints_list",
        responses={200: EndpointOutput(many=True), **error_responses(401, 429)},
        examples=[schema.ENDPOINT_LIST],
    )
    @rate_limited("api-key", KEY_LIMITS)
    def get(self, request: Request) -> Response:
        found = endpoints.list_webhook_endpoints(api_key=self.api_key(request))
        return Response(EndpointOutput([_endpoint(endpoint) for endpoint in found], many=True).data)


def _endpoint(endpoint: endpoints.WebhookEndpoint) -> dict:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "created_at": endpoint.created_at,
    }


class WebhookEndpointDetailApi(IntegratorApi):
    @extend_schema(
        operation_id="webhook_endpoints_destroy",
        responses={204: None, **error_responses(401, 404, 429)},
        description="Stop sending events to the endpoint. Its past deliveries stay in the records.",
    )
    @rate_limited("api-key", KEY_LIMITS)
    def delete(self, request: Request, endpoint_id: str) -> Response:
        endpoints.remove_webhook_endpoint(api_key=self.api_key(request), endpoint_id=endpoint_id)
        return Response(status=204)


class WebhookSecretRollApi(IntegratorApi):
    @extend_schema(
        operation_id="webhook_endpoints_roll_secret",
        request=None,
        responses={200: EndpointWithSecret, **error_responses(401, 404, 429)},
        examples=[schema.ENDPOINT_WITH_SECRET],
        description="A new signing secret, shown once. For 24 h every webhook carries two "
        "signatures, by the new and the old secret, so receivers can switch without a gap.",
    )
    @rate_limited("api-key", KEY_LIMITS)
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint, secret = endpoints.roll_webhook_secret(
            api_key=self.api_key(request), endpoint_id=endpoint_id
        )
        return Response(EndpointWithSecret({**_endpoint(endpoint), "secret": secret}).data)
