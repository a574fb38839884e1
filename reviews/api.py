"""BULI2's side of the API: the signed decision callback and the signed image URL."""

import json

from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filot.api import StrictSerializer, error_responses
from filot.errors import PayloadTooLarge
from kyc.images import private_image_response
from reviews import selectors, services
from reviews.models import Decision
from reviews.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    document_id_from_image_token,
    verify_callback,
)

CALLBACK_DESCRIPTION = f"""BULI2 reports a reviewer's decision. No JWT: the request is signed.

* `{TIMESTAMP_HEADER}`: the Unix time (seconds) of sending; refused when more than
  5 minutes from the server's clock.
* `{SIGNATURE_HEADER}`: `sha256=` followed by the lowercase hex HMAC-SHA256, keyed with
  `BULI2_SIGNATURE_SECRET`, of `<timestamp>.<raw request body>` (the header's value, a
  dot, then the body bytes exactly as sent).

A missing, wrong or stale signature answers 401. The same `event_id` sent again answers
200 and changes nothing (`replayed: true`). An unknown review answers 404; a decision the
review's or document's state does not allow (decided otherwise, claimed by a reviewer)
answers 409. Nothing changes on any refusal."""


class CallbackInput(StrictSerializer):
    event_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,128}$", max_length=128)
    review_id = serializers.UUIDField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(max_length=500)

    def validate_reason(self, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise serializers.ValidationError("The reason must be valid text.") from error
        return value


class CallbackOutput(serializers.Serializer):
    review_id = serializers.UUIDField()
    state = serializers.CharField()
    decision = serializers.CharField(allow_blank=True)
    document_status = serializers.CharField()
    replayed = serializers.BooleanField()


class ReviewCallbackApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a refused signature.
        return f'HMAC-SHA256 headers="{TIMESTAMP_HEADER} {SIGNATURE_HEADER}"'

    @extend_schema(
        operation_id="reviews_callback",
        request=CallbackInput,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
        ],
        responses={200: CallbackOutput, **error_responses(400, 401, 404, 409, 413)},
        description=CALLBACK_DESCRIPTION,
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = self._raw_body(request)
        try:
            verify_callback(
                timestamp=request.headers.get(TIMESTAMP_HEADER),
                signature=request.headers.get(SIGNATURE_HEADER),
                body=body,
            )
        except SignatureError as error:
            raise exceptions.AuthenticationFailed(str(error)) from error
        data = CallbackInput(data=self._json(body))
        data.is_valid(raise_exception=True)
        review = selectors.get_review(review_id=data.validated_data["review_id"])
        review, changed = services.record_buli2_callback(
            review_id=review.id,
            event_id=data.validated_data["event_id"],
            decision=data.validated_data["decision"],
            reason=data.validated_data["reason"],
        )
        return Response(
            CallbackOutput(
                {
                    "review_id": review.id,
                    "state": review.state,
                    "decision": review.decision,
                    "document_status": review.document.status,
                    "replayed": not changed,
                }
            ).data
        )

    @staticmethod
    def _raw_body(request: Request) -> bytes:
        try:
            return request.body
        except RequestDataTooBig as error:
            raise PayloadTooLarge("The callback body is too large.") from error

    @staticmethod
    def _json(body: bytes) -> object:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise exceptions.ParseError("The body is not valid JSON.") from error


class ReviewImageApi(APIView):
    """The card image behind a short-lived signed URL (BULI2, when storage is local)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, token: str) -> FileResponse:
        try:
            document_id = document_id_from_image_token(token)
        except signing.BadSignature as error:
            raise Http404("Not found.") from error
        document = selectors.get_document_under_review(document_id=document_id)
        return private_image_response(document)
