"""The applicant's data-subject rights (UU PDP): access (export) and erasure, and the
privacy notice their consent refers to. Parse, call one service, format."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filot.api import StrictSerializer, error_responses
from filot.ratelimits import rate_limited, setting_rate
from kyc import services
from kyc.models import ActorKind
from kyc.signed_in import signed_in_user

PRIVACY_LIMITS = [
    ("user_or_ip", setting_rate("VERIFY_RATE_LIMIT")),
    ("ip", setting_rate("VERIFY_RATE_LIMIT")),
]


class PersonalDataApi(APIView):
    @extend_schema(
        operation_id="me_data",
        responses={200: OpenApiTypes.OBJECT, **error_responses(401, 429)},
        description="Everything FiLot holds about the caller: account, profile, documents with their "
        "fields unmasked, decisions, reasons and audit trail. Each export is audited.",
    )
    @rate_limited("privacy", PRIVACY_LIMITS)
    def get(self, request: Request) -> Response:
        data = services.export_personal_data(
            user=signed_in_user(request), actor_kind=ActorKind.USER, actor_id=str(request.user.pk)
        )
        response = Response(data)
        response["Cache-Control"] = "private, no-store"
        return response


class ErasureApi(APIView):
    class ErasureInput(StrictSerializer):
        pass

    class ErasureOutput(serializers.Serializer):
        erased = serializers.BooleanField()
        documents = serializers.IntegerField()
        erased_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="me_erasure",
        request=None,
        responses={200: ErasureOutput, **error_responses(400, 401, 409, 429)},
        description="Erase the caller's personal data and card images; the account is deactivated and "
        "the audit trail is kept without personal values. 409 under legal hold, while a review is open "
        "or while a document is still being processed.",
    )
    @rate_limited("privacy", PRIVACY_LIMITS)
    def post(self, request: Request) -> Response:
        self.ErasureInput(data=request.data or {}).is_valid(raise_exception=True)
        report = services.erase_personal_data(
            user_id=signed_in_user(request).pk, actor_kind=ActorKind.USER, actor_id=str(request.user.pk)
        )
        return Response(
            self.ErasureOutput(
                {"erased": True, "documents": len(report.documents), "erased_at": report.erased_at}
            ).data
        )


class PrivacyNoticeApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="privacy_notice",
        responses={200: inline_serializer("PrivacyNotice", {"version": serializers.CharField()})},
        description="The version of the privacy notice an upload's `consent=true` refers to.",
    )
    def get(self, request: Request) -> Response:
        return Response({"version": settings.PRIVACY_NOTICE_VERSION})
