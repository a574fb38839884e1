from django.urls import path

from kyc import api, auth, privacy_api
from kyc.integrations import api as integrations

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
    # Integrator API v2 (X-API-Key): applicants and webhook endpoints.
    path("applicants", integrations.ApplicantsApi.as_view(), name="applicants"),
    path(
        "applicants/<uuid:applicant_id>", integrations.ApplicantDetailApi.as_view(), name="applicant-detail"
    ),
    path(
        "applicants/<uuid:applicant_id>/documents",
        integrations.ApplicantDocumentsApi.as_view(),
        name="applicant-documents",
    ),
    path("webhook-endpoints", integrations.WebhookEndpointsApi.as_view(), name="webhook-endpoints"),
    path(
        "webhook-endpoints/<uuid:endpoint_id>",
        integrations.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/roll-secret",
        integrations.WebhookSecretRollApi.as_view(),
        name="webhook-endpoint-roll-secret",
    ),
]
