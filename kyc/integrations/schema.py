"""Enumerations and examples of the integrator API, for the OpenAPI document."""

from drf_spectacular.utils import OpenApiExample

from kyc.integrations.messages import REASON_MESSAGES, RETAKE_HINTS
from kyc.models import TERMINAL_STATUSES, Status

REASON_CODE_CHOICES = [(code, code) for code in REASON_MESSAGES]
RETAKE_HINT_CHOICES = [(hint, hint) for hint in RETAKE_HINTS]
DECISION_CHOICES = [(status.value, status.value) for status in Status if status in TERMINAL_STATUSES]

APPLICANT_ID = "8c0a3a52-5f0e-4a8e-9d6b-2f1f3c9d7e10"
DOCUMENT_ID = "3f7a1c2e-9b4d-4e6f-8a1b-5c2d3e4f5a6b"
ENDPOINT_ID = "b1e2c3d4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"

APPLICANT_CREATE = OpenApiExample(
    "New applicant",
    value={"external_id": "user-4711", "full_name": "Budi Santoso", "date_of_birth": "1990-08-17",
           "nik": "3171011708900001"},
    request_only=True,
)  # fmt: skip
DOCUMENT = {
    "id": DOCUMENT_ID, "doc_type": "KTP", "status": "resubmission_requested",
    "decision": "resubmission_requested", "retake_hint": "glare",
    "retake_message": "Foto ulang kartu tanpa pantulan cahaya, terutama di atas NIK.",
    "reasons": [{"code": "image_glare", "message": "Ada pantulan cahaya pada kartu."}],
    "created_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:00:09Z",
}  # fmt: skip
APPLICANT = OpenApiExample(
    "An applicant asked to retake a photo",
    value={"id": APPLICANT_ID, "external_id": "user-4711", "status": "action_required",
           "documents": [DOCUMENT], "created_at": "2026-12-01T08:00:00Z"},
    response_only=True,
)  # fmt: skip
APPLICANT_PAGE = OpenApiExample(
    "Found by external_id",
    value={"count": 1, "next": None, "previous": None, "results": [APPLICANT.value]},
    response_only=True,
)
DOCUMENT_EXAMPLE = OpenApiExample("A document", value=DOCUMENT, response_only=True)
ENDPOINT_CREATE = OpenApiExample(
    "Register an endpoint",
    value={
        "url": "https://client.example/filot/webhooks",
        "events": ["document.decided", "applicant.status_changed"],
    },
    request_only=True,
)
ENDPOINT_WITH_SECRET = OpenApiExample(
    "The new endpoint and its secret (shown once)",
    value={"id": ENDPOINT_ID, "url": "https://client.example/filot/webhooks",
           "events": ["applicant.status_changed", "document.decided"], "created_at": "2026-12-01T08:00:00Z",
           "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    response_only=True,
)  # fmt: skip
ENDPOINT_LIST = OpenApiExample(
    "Registered endpoints",
    # A list answer: drf-spectacular wraps the one item in a list.
    value={key: value for key, value in ENDPOINT_WITH_SECRET.value.items() if key != "secret"},
    response_only=True,
)
CONFLICT = OpenApiExample(
    "Already exists",
    value={"error": {"code": "conflict", "details": None,
                     "message": "An applicant with this external_id already exists for this API key."}},
    response_only=True, status_codes=["409"],
)  # fmt: skip
