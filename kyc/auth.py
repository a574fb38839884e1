"""Accounts and JWT: register, obtain, refresh (rotating), log out (blacklist)."""

import json

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from filot.api import StrictSerializer, error_responses
from filot.ratelimits import rate_limited, setting_rate
from kyc import services


def account_key(group: str, request: HttpRequest) -> str:
    """Rate-limit key: the email the request names, so one account is protected from many IPs."""
    try:
        email = json.loads(request.body or b"{}").get("email", "")
    except (ValueError, AttributeError):
        email = request.POST.get("email", "")
    return str(email).strip().lower() or "no-email"


AUTH_LIMITS = [("ip", setting_rate("AUTH_RATE_LIMIT")), (account_key, setting_rate("AUTH_RATE_LIMIT"))]


class RegisterApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    class RegisterInput(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)

    class RegisterOutput(serializers.Serializer):
        id = serializers.UUIDField()
        email = serializers.EmailField()

    @extend_schema(
        request=RegisterInput, responses={201: RegisterOutput, **error_responses(400, 429)}, auth=[]
    )
    @rate_limited("auth-register", AUTH_LIMITS)
    def post(self, request: Request) -> Response:
        data = self.RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_user(**data.validated_data)
        return Response(self.RegisterOutput(user).data, status=201)


class TokenApi(TokenObtainPairView):
    @extend_schema(
        responses={200: TokenObtainPairView.serializer_class, **error_responses(400, 401, 429)}, auth=[]
    )
    @rate_limited("auth-token", AUTH_LIMITS)
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().post(request, *args, **kwargs)


class TokenRefreshApi(TokenRefreshView):
    @extend_schema(
        responses={200: TokenRefreshView.serializer_class, **error_responses(400, 401, 429)}, auth=[]
    )
    @rate_limited("auth-refresh", [("ip", setting_rate("AUTH_RATE_LIMIT"))])
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutApi(APIView):
    class LogoutInput(StrictSerializer):
        refresh = serializers.CharField()

    @extend_schema(request=LogoutInput, responses={204: None, **error_responses(400, 401)})
    def post(self, request: Request) -> Response:
        data = self.LogoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
            if str(token["user_id"]) != str(request.user.id):
                raise TokenError("Token belongs to another account.")
            token.blacklist()
        except TokenError as error:
            raise serializers.ValidationError({"refresh": [str(error)]}) from error
        return Response(status=204)
