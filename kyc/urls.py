from django.urls import path

from kyc import api, auth, privacy_api

urlpatterns = [
    path("auth/register", auth.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", auth.TokenApi.as_view(), name="auth-token"),
    path("auth/token/refresh", auth.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", auth.LogoutApi.as_view(), name="auth-logout"),
    path("auth/password", auth.PasswordApi.as_view(), name="auth-password"),
    path("profile", api.ProfileApi.as_view(), name="profile"),
    path("documents", api.DocumentsApi.as_view(), name="documents"),
    path("documents/<uuid:document_id>", api.DocumentDetailApi.as_view(), name="document-detail"),
    path("documents/<uuid:document_id>/image", api.DocumentImageApi.as_view(), name="document-image"),
    path("verification/evaluate", api.VerificationEvaluateApi.as_view(), name="verification-evaluate"),
    path("me/data", privacy_api.PersonalDataApi.as_view(), name="me-data"),
    path("me/erasure", privacy_api.ErasureApi.as_view(), name="me-erasure"),
    path("privacy/notice", privacy_api.PrivacyNoticeApi.as_view(), name="privacy-notice"),
    path(
        "verification/status/<uuid:document_id>",
        api.VerificationStatusApi.as_view(),
        name="verification-status",
    ),
]
