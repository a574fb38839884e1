"""Webhook delivery from the outbox: real Redis broker, real dramatiq worker threads, a real
local HTTP receiver, signatures checked with the `standardwebhooks` package from PyPI."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook

from kyc.integrations.models import DeliveryStatus, WebhookDelivery
from kyc.models import Applicant, Document, Status
from tests.kyc.integrator import key_client, new_api_key, new_applicant, new_endpoint
from tests.kyc.webhook_receiver import Receiver
from tests.reviews.documents import document_needing_review
from tests.stack import ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhooks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [0, 1, 1, 1, 1]
    return settings


def needs_review_for(client, receiver: Receiver, events: list[str]) -> tuple[dict, Document]:
    applicant = new_applicant(client)
    endpoint = new_endpoint(client, receiver.url, events)
    document = document_needing_review(Applicant.objects.get(pk=applicant["id"]).user)
    return endpoint, document


def test_a_receiver_that_fails_three_times_then_succeeds_gets_it_once_more_with_the_same_id(worker, webhooks):
    client = key_client(new_api_key())
    with Receiver(failures=3) as receiver:
        endpoint, document = needs_review_for(client, receiver, ["document.needs_review"])
        received = receiver.wait_for(4, timeout=30)
        time.sleep(2.5)  # a fifth would come within a retry step (1 s) if it were owed

    assert len(receiver.received) == 4
    ids = {request.headers["webhook-id"] for request in received}
    assert len(ids) == 1
    for request in received:  # every attempt signed afresh, each verifies
        event = Webhook(endpoint["secret"]).verify(request.body, request.headers)
        assert event["type"] == "document.needs_review"
        assert event["data"]["document_id"] == str(document.id)
    delivery = WebhookDelivery.objects.get()
    assert delivery.message_id == ids.pop()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 4 and delivery.last_response_code == 204


def test_after_its_last_attempt_a_delivery_fails_and_the_admin_redelivers_it_with_the_same_id(
    worker, webhooks, make_user
):
    from django.test import Client

    webhooks.WEBHOOK_RETRY_SCHEDULE_SECONDS = [0, 1]
    client = key_client(new_api_key())
    with Receiver(failures=2, fail_status=503) as receiver:
        needs_review_for(client, receiver, ["document.needs_review"])
        receiver.wait_for(2)
        delivery = WebhookDelivery.objects.get()
        deadline = time.monotonic() + 10
        while delivery.status != DeliveryStatus.FAILED:
            assert time.monotonic() < deadline, delivery.status
            time.sleep(0.1)
            delivery.refresh_from_db()
        assert delivery.attempts == 2 and delivery.last_response_code == 503

        operator = make_user("ops@filot.example", is_staff=True, is_superuser=True)
        admin = Client()
        admin.force_login(operator)
        page = admin.get(f"/admin/kyc/webhookdelivery/?status={DeliveryStatus.FAILED}")
        assert page.status_code == 200 and delivery.message_id in page.content.decode()
        response = admin.post(
            "/admin/kyc/webhookdelivery/", {"action": "redeliver", "_selected_action": [str(delivery.pk)]}
        )
        assert response.status_code == 302
        received = receiver.wait_for(3)

    assert received[2].headers["webhook-id"] == received[0].headers["webhook-id"] == delivery.message_id
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1


KILLED_AFTER_COMMIT = """
import os, sys
import django
django.setup()
from django.db import transaction
from kyc.integrations.resubmission import request_resubmission

with transaction.atomic():
    # The first commit hook: the process dies right after the commit, before sending anything.
    transaction.on_commit(lambda: os._exit(9))
    request_resubmission(document_id=sys.argv[1], hint="glare", actor_kind="reviewer", actor_id="rita")
"""


def test_a_worker_killed_between_commit_and_send_still_delivers(worker, webhooks):
    webhooks.WEBHOOK_SWEEP_GRACE_SECONDS = 1
    client = key_client(new_api_key())
    with Receiver() as receiver:
        endpoint, document = needs_review_for(client, receiver, ["document.decided"])
        process = subprocess.run(
            [sys.executable, "-c", KILLED_AFTER_COMMIT, str(document.id)],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "filot.settings"},
            capture_output=True,
            timeout=120,
        )
        assert process.returncode == 9, process.stderr.decode()[-2000:]
        document.refresh_from_db()
        assert document.status == Status.RESUBMISSION_REQUESTED  # committed
        owed = WebhookDelivery.objects.get(event_type="document.decided")
        assert owed.status == DeliveryStatus.PENDING and owed.attempts == 0
        time.sleep(1.5)
        assert receiver.received == []  # nothing was sent

        call_command("sweep_webhook_outbox", stdout=open(os.devnull, "w"))  # noqa: SIM115
        received = receiver.wait_for(1)

    assert received[0].headers["webhook-id"] == owed.message_id
    event = Webhook(endpoint["secret"]).verify(received[0].body, received[0].headers)
    assert event["data"]["status"] == "resubmission_requested" and event["data"]["retake_hint"] == "glare"
    owed.refresh_from_db()
    assert owed.status == DeliveryStatus.DELIVERED


def test_a_target_that_turns_private_is_refused_at_send_time_and_never_reached(worker, webhooks):
    client = key_client(new_api_key())
    with Receiver() as receiver:
        new_applicant(client)
        new_endpoint(client, receiver.url, ["document.needs_review"])
        webhooks.WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # e.g. its DNS now answers 127.0.0.1
        webhooks.WEBHOOK_RETRY_SCHEDULE_SECONDS = [0]
        document_needing_review(Applicant.objects.get().user)
        delivery = WebhookDelivery.objects.get()
        deadline = time.monotonic() + 10
        while delivery.status == DeliveryStatus.PENDING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
            delivery.refresh_from_db()

    assert receiver.received == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "public address" in delivery.last_error


def test_after_a_secret_roll_both_the_new_and_the_old_secret_verify(worker, webhooks):
    client = key_client(new_api_key())
    with Receiver() as receiver:
        new_applicant(client)
        old = new_endpoint(client, receiver.url, ["document.needs_review"])
        rolled = client.post(f"/api/v1/webhook-endpoints/{old['id']}/roll-secret")
        assert rolled.status_code == 200
        new = rolled.json()["secret"]
        assert new != old["secret"] and new.startswith("whsec_")
        document_needing_review(Applicant.objects.get().user)
        request = receiver.wait_for(1)[0]

    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old["secret"], new):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "document.needs_review"
    body = json.loads(request.body)
    assert set(body["data"]) == {
        "applicant_id", "external_id", "document_id", "doc_type", "status", "decision", "reason_codes",
        "retake_hint",
    }  # fmt: skip


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(worker, webhooks):
    webhooks.WEBHOOK_RETRY_SCHEDULE_SECONDS = [0]
    client = key_client(new_api_key())
    with Receiver(failures=10, fail_status=307) as receiver:
        needs_review_for(client, receiver, ["document.needs_review"])
        receiver.wait_for(1)
        delivery = WebhookDelivery.objects.get()
        deadline = time.monotonic() + 10
        while delivery.status == DeliveryStatus.PENDING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
            delivery.refresh_from_db()
        time.sleep(0.5)

    assert len(receiver.received) == 1
    assert (delivery.status, delivery.last_response_code) == (DeliveryStatus.FAILED, 307)
