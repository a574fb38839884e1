"""Examples for the operations whose views do not declare their own (the end-user flow,
auth, the BULI2 callback), added to the OpenAPI document by a drf-spectacular
postprocessing hook, so every operation of /api/schema/ shows one. The integrator API
declares its examples on its views (kyc/integrations/schema.py). The suite checks every
example against its schema (tests/kyc/test_openapi_examples.py)."""

from typing import Any

DOCUMENT_ID = "3f7a1c2e-9b4d-4e6f-8a1b-5c2d3e4f5a6b"
AT = "2026-12-01T08:00:09Z"
CREDENTIALS = {"email": "budi@example.com", "password": "a long passphrase 42"}
REFRESH = {"refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"}
TOKENS = {"access": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl", **REFRESH}
REASONS = [
    {
        "code": "nik_consistent",
        "effect": 0,
        "message": "The NIK is valid and agrees with the card.",
        "applicant_message": "NIK valid.",
    },
    {
        "code": "name_matches",
        "effect": 0,
        "message": "The name on the card matches the profile.",
        "applicant_message": "Nama sesuai.",
    },
]
DOCUMENT = {
    "id": DOCUMENT_ID,
    "doc_type": "KTP",
    "status": "auto_approved",
    "score": 96,
    "decision": "auto_approved",
    "reasons": REASONS,
    "fields": {"nik": "3171********0001", "name": "BUDI SANTOSO"},
    "failure_reason": "",
    "gpu_processed": False,
    "width": 1000,
    "height": 630,
    "size_bytes": 123456,
    "created_at": AT,
    "updated_at": AT,
}
STATUS: dict[str, Any] = {
    "id": DOCUMENT_ID,
    "status": "auto_approved",
    "score": 96,
    "decision": "auto_approved",
    "reasons": REASONS,
    "timeline": [
        {"from_status": "", "to_status": "uploaded", "at": AT, "actor_kind": "user", "reason": "uploaded"},
        {
            "from_status": "ai_evaluated",
            "to_status": "auto_approved",
            "at": AT,
            "actor_kind": "system",
            "reason": "auto_approved at score 96",
        },
    ],
}
PROFILE = {
    "full_name": "BUDI SANTOSO",
    "date_of_birth": "1990-08-17",
    "nik": "3171011708900001",
    "phone": "+62 812 0000 0000",
}
PROFILE_OUT = {**PROFILE, "nik": "3171********0001", "status": "pending"}

#: operationId -> (request example or None, {status: response example})
EXAMPLES: dict[str, tuple[dict | None, dict[str, dict]]] = {
    "v1_auth_register_create": (
        CREDENTIALS,
        {"201": {"id": "0b3c2d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "email": CREDENTIALS["email"]}},
    ),
    "v1_auth_token_create": (CREDENTIALS, {"200": TOKENS}),
    "v1_auth_token_refresh_create": (REFRESH, {"200": TOKENS}),
    "v1_auth_logout_create": (REFRESH, {}),
    "documents_list": (None, {"200": {"count": 1, "next": None, "previous": None, "results": [DOCUMENT]}}),
    "documents_create": (
        None,
        {
            "201": {
                **DOCUMENT,
                "status": "processing",
                "score": None,
                "decision": None,
                "reasons": [],
                "fields": {},
            }
        },
    ),
    "v1_documents_retrieve": (None, {"200": DOCUMENT}),
    "v1_documents_image_retrieve": (
        None,
        {"404": {"error": {"code": "not_found", "message": "Not found.", "details": None}}},
    ),
    "v1_profile_retrieve": (None, {"200": PROFILE_OUT}),
    "v1_profile_update": (PROFILE, {"200": PROFILE_OUT}),
    "v1_verification_evaluate_create": (
        {"document_id": DOCUMENT_ID},
        {
            "202": {
                **STATUS,
                "status": "processing",
                "score": None,
                "decision": None,
                "reasons": [],
                "timeline": STATUS["timeline"][:1],
            }
        },
    ),
    "v1_verification_status_retrieve": (None, {"200": STATUS}),
    "reviews_callback": (
        {
            "event_id": "evt-20261201-0001",
            "review_id": "5d6e7f80-1a2b-4c3d-9e4f-a5b6c7d8e9f0",
            "decision": "approve",
            "reason": "Card and selfie match.",
        },
        {
            "200": {
                "review_id": "5d6e7f80-1a2b-4c3d-9e4f-a5b6c7d8e9f0",
                "state": "completed",
                "decision": "approve",
                "document_status": "approved",
                "replayed": False,
            }
        },
    ),
    "v1_auth_password_create": (
        {"current_password": CREDENTIALS["password"], "new_password": "another-long-passphrase-77"},
        {"200": TOKENS},
    ),
    "me_data": (
        None,
        {
            "200": {
                "account": {"id": "0b3c2d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "email": CREDENTIALS["email"]},
                "profile": {**PROFILE},
                "documents": [],
                "privacy_events": [],
            }
        },
    ),
    "me_erasure": (
        None,
        {
            "200": {"erased": True, "documents": 2, "erased_at": "2026-12-01T10:15:00Z"},
            "409": {
                "error": {
                    "code": "conflict",
                    "message": "A document is under review: erasure waits for its decision.",
                    "details": None,
                }
            },
        },
    ),
    "privacy_notice": (None, {"200": {"version": "2026-01"}}),
    "webhook_endpoints_destroy": (
        None,
        {"404": {"error": {"code": "not_found", "message": "Not found.", "details": None}}},
    ),
}


def add_examples(result: dict, generator: object, request: object, public: bool) -> dict:
    """drf-spectacular postprocessing hook: the examples above, where none is declared."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            found = EXAMPLES.get(operation.get("operationId"))
            if found is None:
                continue
            body, responses = found
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                if body is not None and "examples" not in media:
                    media["examples"] = {"Example": {"value": body}}
            for status, value in responses.items():
                response = operation.get("responses", {}).get(status)
                for media in (response or {}).get("content", {}).values():
                    media.setdefault("examples", {"Example": {"value": value}})
    return result
