"""The integrator API through HTTP: API keys, applicants, webhook endpoints, the SSRF guard
at registration, the client-facing reasons and what never reaches a client."""

import pytest
from django.core.management import call_command

from kyc import services
from kyc.integrations.models import ApiKey, WebhookDelivery
from kyc.integrations.resubmission import request_resubmission
from kyc.models import Applicant, Document, DocumentTransition, Status
from reviews.models import ManualReview
from reviews.services import Actor, claim_review, complete_manual_review
from tests.kyc.integrator import key_client, new_api_key, new_applicant, new_endpoint
from tests.reviews.documents import document_needing_review

pytestmark = pytest.mark.django_db
NOTE = "Applicant looked nervous; NIK 3171011708900001 checked by phone"


def test_create_api_key_prints_the_key_once_and_stores_only_a_hash(capsys):
    key = new_api_key("Acme Pay")

    stored = ApiKey.objects.get()
    assert key.startswith(f"flk_{stored.prefix}_") and len(key) > 40
    assert stored.name == "Acme Pay" and key not in stored.secret_hash and stored.last_used_at is None
    response = key_client(key).get("/api/v1/applicants")
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_wrong_a_revoked_or_a_missing_key_is_refused_and_jwt_is_not_an_api_key(alice_api):
    key = new_api_key()
    assert key_client(key[:-2] + "xx").get("/api/v1/applicants").status_code == 401
    assert alice_api.get("/api/v1/applicants").status_code == 401
    assert key_client(key).get("/api/v1/documents").status_code == 401  # the end-user API wants a JWT
    call_command("create_api_key", "--name", "other", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from kyc.integrations.api_keys import revoke_api_key

    revoke_api_key(api_key_id=ApiKey.objects.get(name="Acme Pay").pk)
    response = key_client(key).get("/api/v1/applicants")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The API key is not valid."


def test_applicants_are_created_found_by_external_id_and_scoped_to_their_key():
    client = key_client(new_api_key())
    created = new_applicant(client, "user-1", nik="3171011708900001")
    new_applicant(client, "user-2")

    assert created["status"] == "pending" and created["documents"] == []
    assert "nik" not in created and "full_name" not in created
    found = client.get("/api/v1/applicants", {"external_id": "user-1"}).json()
    assert found["count"] == 1 and found["results"][0]["id"] == created["id"]
    assert client.get(f"/api/v1/applicants/{created['id']}").json()["external_id"] == "user-1"
    applicant = Applicant.objects.get(pk=created["id"])
    assert applicant.user.profile.nik == "3171011708900001" and not applicant.user.has_usable_password()

    other = key_client(new_api_key("Other"))
    assert other.get(f"/api/v1/applicants/{created['id']}").status_code == 404
    assert other.get("/api/v1/applicants", {"external_id": "user-1"}).json()["count"] == 0
    assert new_applicant(other, "user-1")["id"] != created["id"]  # unique per key, not overall


def test_a_second_applicant_with_the_same_external_id_is_a_plain_409_and_changes_nothing():
    client = key_client(new_api_key())
    new_applicant(client, "user-1")
    response = client.post(
        "/api/v1/applicants",
        {"external_id": "user-1", "full_name": "X", "date_of_birth": "1990-01-01"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "An applicant with this external_id already exists for this API key.",
        "details": None,
    }
    assert Applicant.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"external_id": "", "full_name": "A", "date_of_birth": "1990-01-01"},
        {"external_id": "a", "full_name": "A", "date_of_birth": "not a date"},
        {"external_id": "a", "full_name": "A", "date_of_birth": "1990-01-01", "nik": "123"},
        {"external_id": "a", "full_name": "A", "date_of_birth": "1990-01-01", "nik": "9999999999999999"},
        {"external_id": "a", "full_name": "A", "date_of_birth": "1990-01-01", "admin": True},
    ],
)
def test_bad_applicant_input_is_a_400_and_creates_nothing(body):
    response = key_client(new_api_key()).post("/api/v1/applicants", body, format="json")
    assert response.status_code == 400 and "error" in response.json()
    assert Applicant.objects.count() == 0


def test_an_endpoint_on_loopback_private_or_link_local_addresses_is_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client = key_client(new_api_key())
    for url in ("http://127.0.0.1:8080/x", "http://10.0.0.5/x", "http://169.254.169.254/latest", "http://[::1]/x",
                "http://localhost/x", "http://[::ffff:127.0.0.1]/x", "http://example.com:99999/x",
                "http://user:pass@example.com/x", "ftp://example.com/x"):  # fmt: skip
        response = client.post(
            "/api/v1/webhook-endpoints", {"url": url, "events": ["document.decided"]}, format="json"
        )
        assert response.status_code == 400, url
        assert "url" in response.json()["error"]["details"]
    assert client.get("/api/v1/webhook-endpoints").json() == []


def test_in_production_an_endpoint_pointing_at_127_0_0_1_is_refused_and_https_is_required(settings):
    settings.PRODUCTION = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client = key_client(new_api_key())
    for url, words in (("https://127.0.0.1/hooks", "public address"), ("http://example.com/hooks", "https")):
        response = client.post(
            "/api/v1/webhook-endpoints", {"url": url, "events": ["document.decided"]}, format="json"
        )
        assert response.status_code == 400
        assert words in response.json()["error"]["details"]["url"][0]


def test_an_endpoint_shows_its_secret_once_and_can_be_removed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = key_client(new_api_key())
    created = new_endpoint(client, "http://127.0.0.1:9/hooks", ["document.decided"])
    assert created["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhook-endpoints").json()
    assert [endpoint["id"] for endpoint in listed] == [created["id"]] and "secret" not in listed[0]
    assert created["secret"] not in str(client.get("/api/v1/webhook-endpoints").content)
    other = key_client(new_api_key("Other"))
    assert other.delete(f"/api/v1/webhook-endpoints/{created['id']}").status_code == 404
    assert client.delete(f"/api/v1/webhook-endpoints/{created['id']}").status_code == 204
    assert client.get("/api/v1/webhook-endpoints").json() == []
    bad = client.post(
        "/api/v1/webhook-endpoints", {"url": "http://127.0.0.1/x", "events": ["nope"]}, format="json"
    )
    assert bad.status_code == 400


def applicant_needing_review(client) -> tuple[dict, Document]:
    created = new_applicant(client)
    return created, document_needing_review(Applicant.objects.get(pk=created["id"]).user)


def test_reason_messages_follow_accept_language_with_bahasa_indonesia_by_default():
    client = key_client(new_api_key())
    created, _document = applicant_needing_review(client)

    def reasons(**headers: str) -> tuple[dict, str]:
        response = client.get(f"/api/v1/applicants/{created['id']}", **headers)
        return {r["code"]: r["message"] for r in response.json()["documents"][0]["reasons"]}, response[
            "Content-Language"
        ]

    default, default_language = reasons()
    indonesian, id_language = reasons(HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9")
    english, en_language = reasons(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9,id;q=0.5")
    assert (default_language, id_language, en_language) == ("id", "id", "en")
    assert default == indonesian
    assert indonesian["image_blurry"] == "Foto buram."
    assert english["image_blurry"] == "The photo is blurry."
    assert english["name_similar"] == "The name is similar but not identical."
    # Not the scorer's reviewer-facing text: that names the fields read with low confidence.
    assert "name" not in english["low_ocr_confidence"].split(":")[-1]


def test_a_reviewers_note_never_reaches_a_client(rita, alice, alice_api):
    client = key_client(new_api_key())
    created, document = applicant_needing_review(client)
    mine = document_needing_review(alice, index=1)  # the end-user (JWT) flow
    for doc in (document, mine):
        review = ManualReview.objects.get(document=doc)
        claim_review(review_id=review.id, user=rita)
        complete_manual_review(
            review_id=review.id, decision="reject", reason=NOTE, actor=Actor.reviewer(rita)
        )
    assert DocumentTransition.objects.filter(reason=NOTE).count() == 2  # the audit keeps it

    bodies = [
        client.get(f"/api/v1/applicants/{created['id']}").content,
        client.get("/api/v1/applicants").content,
        client.get(f"/api/v1/applicants/{created['id']}", HTTP_ACCEPT_LANGUAGE="en").content,
        alice_api.get(f"/api/v1/verification/status/{mine.id}").content,
        alice_api.get(f"/api/v1/documents/{mine.id}").content,
        alice_api.get("/api/v1/documents").content,
    ]
    for body in bodies:
        assert b"nervous" not in body and b"3171011708900001" not in body
    assert client.get(f"/api/v1/applicants/{created['id']}").json()["status"] == "rejected"
    assert alice_api.get("/api/v1/profile").json()["status"] == "rejected"  # shown in both flows


def test_a_reviewer_asks_for_a_retake_the_applicant_is_action_required_and_a_new_upload_makes_it_pending(
    rita, settings, ktp_jpeg
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = key_client(new_api_key())
    created, document = applicant_needing_review(client)
    new_endpoint(client, "http://127.0.0.1:9/hooks", ["document.decided", "applicant.status_changed"])

    request_resubmission(
        document_id=document.id, hint="glare", actor_kind="reviewer", actor_id=str(rita.pk), note=NOTE
    )

    document.refresh_from_db()
    assert document.status == Status.RESUBMISSION_REQUESTED and document.resubmission_hint == "glare"
    last = document.transitions.last()
    assert (last.from_status, last.to_status, last.actor_kind) == (
        "needs_review",
        "resubmission_requested",
        "reviewer",
    )
    shown = client.get(f"/api/v1/applicants/{created['id']}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert shown["status"] == "action_required"
    assert shown["documents"][0]["retake_hint"] == "glare"
    assert shown["documents"][0]["retake_message"].startswith("Retake the photo without glare")
    assert "nervous" not in str(shown)
    events = list(WebhookDelivery.objects.order_by("created_at").values_list("event_type", "payload"))
    assert [event for event, _ in events] == ["document.decided", "applicant.status_changed"]
    assert events[1][1]["data"] == {
        "applicant_id": created["id"], "external_id": "user-4711", "status": "action_required",
        "previous_status": "pending",
    }  # fmt: skip

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("card.jpg", ktp_jpeg, content_type="image/jpeg")
    refused = client.post(
        f"/api/v1/applicants/{created['id']}/documents", {"doc_type": "KTP", "file": upload}
    )
    assert refused.status_code == 400 and "consent" in refused.json()["error"]["details"], refused.content
    upload.seek(0)
    response = client.post(
        f"/api/v1/applicants/{created['id']}/documents",
        {"doc_type": "KTP", "file": upload, "consent": "true"},
    )
    assert response.status_code == 201, response.content
    assert client.get(f"/api/v1/applicants/{created['id']}").json()["status"] == "pending"
    # The upload's own audited transition told the client (an applicant's account: its row looked up).
    last_event = WebhookDelivery.objects.order_by("created_at").last()
    assert (last_event.event_type, last_event.payload["data"]["status"]) == (
        "applicant.status_changed",
        "pending",
    )
    assert last_event.payload["data"]["previous_status"] == "action_required"


def test_a_retake_cannot_be_asked_of_a_decided_document_and_the_409_says_why_in_plain_words(alice, alice_api):
    document = document_needing_review(alice)
    request_resubmission(document_id=document.id, hint="blurred", actor_kind="reviewer")
    from django_fsm import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        request_resubmission(document_id=document.id, hint="blurred", actor_kind="reviewer")
    with pytest.raises(Exception, match="hint"):
        request_resubmission(document_id=document.id, hint="sunburn", actor_kind="reviewer")

    response = alice_api.post(
        "/api/v1/verification/evaluate", {"document_id": str(document.id)}, format="json"
    )
    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert message == "This is not allowed while the document is resubmission_requested."
    assert "switch" not in message and "method" not in message


def decided_by_the_scorer(owner, evaluation) -> Document:
    """The pipeline's deciding step (as kyc.services.ingest_reading runs it) with this verdict."""
    from django.db import transaction

    from tests.factories import document_row

    document = document_row(owner)
    services.transition_document(
        document_id=document.id, apply=lambda d: d.start_processing(), actor_kind="system"
    )
    with transaction.atomic():
        locked = services.lock_document(document.id)
        services.save_reading(
            document=locked, reading={"doc_type": "KTP", "fields": {}}, reading_key="r.json"
        )
        services.decide_document(document=locked, evaluation=evaluation)
    return Document.objects.get(pk=document.id)


def test_the_scorer_asks_for_a_retake_when_only_the_photo_quality_fails(settings):
    from kyc import scoring

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = key_client(new_api_key())
    created = new_applicant(client)
    new_endpoint(client, "http://127.0.0.1:9/hooks", ["document.decided"])
    owner = Applicant.objects.get(pk=created["id"]).user
    glare = scoring.Evaluation(20, (scoring.Reason("image_glare", -40, "Glare covers part of the card."),))
    mismatch = scoring.Evaluation(
        20, (scoring.Reason("name_mismatch", -30, "x"), scoring.Reason("image_glare", -30, "x"))
    )

    retake = decided_by_the_scorer(owner, glare)
    rejected = decided_by_the_scorer(owner, mismatch)

    assert (retake.status, retake.resubmission_hint) == (Status.RESUBMISSION_REQUESTED, "glare")
    assert retake.transitions.last().actor_kind == "system"
    assert rejected.status == Status.AUTO_REJECTED  # a better photo would not fix a name mismatch
    decided = [row.payload["data"] for row in WebhookDelivery.objects.order_by("created_at")]
    assert [(data["status"], data["reason_codes"]) for data in decided] == [
        ("resubmission_requested", ["image_glare"]),
        ("auto_rejected", ["name_mismatch", "image_glare"]),
    ]


def test_unknown_routes_answer_the_json_error_shape(api):
    for path in ("/api/v1/nothing-here", "/api/v2/applicants", "/nope"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_swagger_ui_is_served_from_the_app_itself_without_a_cdn(api):
    from django.contrib.staticfiles import finders

    page = api.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "unpkg" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.mark.django_db(transaction=True)
def test_two_racing_creates_of_one_external_id_make_one_applicant_and_one_409():
    import threading

    from django.db import connection

    key = new_api_key()
    barrier = threading.Barrier(4)
    answers = []

    def create() -> None:
        try:
            barrier.wait()
            body = {"external_id": "same", "full_name": "Budi", "date_of_birth": "1990-08-17"}
            answers.append(key_client(key).post("/api/v1/applicants", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [201, 409, 409, 409]
    assert Applicant.objects.filter(external_id="same").count() == 1


def test_the_admin_shows_keys_and_deliveries_read_only_and_only_operators_with_the_right_may_act(make_user):
    from django.contrib.auth.models import Permission
    from django.test import Client

    new_api_key("Acme Pay")
    viewer = make_user("viewer@filot.example", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_apikey", "view_webhookdelivery"])
    )
    client = Client()
    client.force_login(viewer)

    page = client.get("/admin/kyc/apikey/")
    assert page.status_code == 200 and "Acme Pay" in page.content.decode()
    assert 'value="revoke"' not in page.content.decode()
    assert 'value="redeliver"' not in client.get("/admin/kyc/webhookdelivery/").content.decode()
    key = ApiKey.objects.get()
    detail = client.get(f"/admin/kyc/apikey/{key.pk}/change/").content.decode()
    assert 'name="name"' not in detail and key.secret_hash not in detail

    viewer.user_permissions.add(Permission.objects.get(codename="change_apikey"))
    viewer = type(viewer).objects.get(pk=viewer.pk)  # a fresh permission cache
    client.force_login(viewer)
    assert 'value="revoke"' in client.get("/admin/kyc/apikey/").content.decode()
    response = client.post("/admin/kyc/apikey/", {"action": "revoke", "_selected_action": [str(key.pk)]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_old_secret_stops_signing_24_hours_after_a_roll(settings):
    import datetime as dt

    from django.utils import timezone

    from kyc.integrations.delivery import signing_secrets
    from kyc.integrations.endpoints import roll_webhook_secret
    from kyc.integrations.models import WebhookEndpoint

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = key_client(new_api_key())
    first = new_endpoint(client, "http://127.0.0.1:9/hooks", ["document.decided"])
    endpoint, second = roll_webhook_secret(api_key=ApiKey.objects.get(), endpoint_id=first["id"])
    now = timezone.now()

    assert signing_secrets(endpoint, now + dt.timedelta(hours=23, minutes=59)) == [second, first["secret"]]
    assert signing_secrets(endpoint, now + dt.timedelta(hours=24, minutes=1)) == [second]
    stored = WebhookEndpoint.objects.values_list("secrets", flat=True).get()
    assert second in str(stored)  # decrypted by the field...
    from django.db import connection

    with connection.cursor() as cursor:  # ...and encrypted in the column
        cursor.execute("SELECT secrets FROM kyc_webhookendpoint")
        assert second not in cursor.fetchone()[0]


def test_the_end_user_flow_gives_each_reason_an_applicant_message_in_the_language_asked(alice, alice_api):
    document = document_needing_review(alice)

    def messages(path: str, **headers: str) -> dict:
        reasons = alice_api.get(path, **headers).json()["reasons"]
        return {reason["code"]: (reason["message"], reason["applicant_message"]) for reason in reasons}

    for path in (f"/api/v1/documents/{document.id}", f"/api/v1/verification/status/{document.id}"):
        default, english = messages(path), messages(path, HTTP_ACCEPT_LANGUAGE="en")
        assert default["image_blurry"] == ("The photo is blurry.", "Foto buram.")  # the scorer's text kept
        assert english["image_blurry"] == ("The photo is blurry.", "The photo is blurry.")
        assert english["name_similar"][1] == "The name is similar but not identical."
    listed = alice_api.get("/api/v1/documents", HTTP_ACCEPT_LANGUAGE="id").json()["results"][0]["reasons"]
    assert {reason["applicant_message"] for reason in listed} >= {"Foto buram."}


def test_a_document_the_ocr_gives_up_on_sends_document_failed_and_asks_for_action(settings):
    from tests.factories import document_row

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = key_client(new_api_key())
    created = new_applicant(client)
    new_endpoint(client, "http://127.0.0.1:9/hooks", ["document.failed", "applicant.status_changed"])
    document = document_row(Applicant.objects.get(pk=created["id"]).user)
    services.transition_document(
        document_id=document.id, apply=lambda d: d.start_processing(), actor_kind="system"
    )

    services.fail_ocr(document_id=str(document.id), reason="The card could not be read after 3 tries.")

    rows = {row.event_type: row.payload["data"] for row in WebhookDelivery.objects.all()}
    assert rows["document.failed"]["status"] == "failed"
    assert rows["applicant.status_changed"]["status"] == "action_required"
    assert client.get(f"/api/v1/applicants/{created['id']}").json()["status"] == "action_required"


def test_each_api_key_has_its_own_rate_limit(settings):
    settings.API_KEY_RATE_LIMIT = "3/m"
    busy, quiet = key_client(new_api_key("Busy")), key_client(new_api_key("Quiet"))
    answers = [busy.get("/api/v1/applicants").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = busy.get("/api/v1/applicants")
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0
    assert quiet.get("/api/v1/applicants").status_code == 200
