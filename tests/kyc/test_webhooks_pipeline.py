"""The Integrator API end to end, as a client uses it: an API key, an applicant, a card
uploaded, the real OCR and scorer in real worker threads, and signed webhooks arriving at
a real local receiver, verified with the `standardwebhooks` package from PyPI."""

import io
import json

import pytest
from standardwebhooks.webhooks import Webhook

from kyc.integrations.models import DeliveryStatus, WebhookDelivery
from tests.kyc.integrator import key_client, new_api_key, new_applicant, new_endpoint
from tests.kyc.test_pipeline import clean_card, wait_settled
from tests.kyc.webhook_receiver import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_card_uploaded_with_an_api_key_is_decided_and_the_receiver_gets_two_signed_events(worker, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    card, jpeg = clean_card("KTP")
    client = key_client(new_api_key())
    with Receiver() as receiver:
        endpoint = new_endpoint(client, receiver.url, ["document.decided", "applicant.status_changed"])
        applicant = new_applicant(
            client, "acme-42", full_name=card.fields["name"], date_of_birth=card.fields["birth_date"],
            nik=card.fields["nik"],
        )  # fmt: skip
        file = io.BytesIO(jpeg)
        file.name = "card.jpg"
        uploaded = client.post(
            f"/api/v1/applicants/{applicant['id']}/documents",
            {"doc_type": "KTP", "file": file, "consent": "true"},
        )
        assert uploaded.status_code == 201, uploaded.content
        document = wait_settled(uploaded.json()["id"])
        received = receiver.wait_for(2, timeout=30)

    assert document.status == "auto_approved", document.reasons
    events = {}
    for request in received:  # as a client would check them
        event = Webhook(endpoint["secret"]).verify(request.body, request.headers)
        events[event["type"]] = event
    assert sorted(events) == ["applicant.status_changed", "document.decided"]
    assert events["document.decided"]["data"]["decision"] == "auto_approved"
    assert events["document.decided"]["data"]["external_id"] == "acme-42"
    assert events["applicant.status_changed"]["data"]["status"] == "verified"
    for request in received:  # slim: no NIK, no name
        assert card.fields["nik"] not in request.body.decode()
        assert card.fields["name"] not in request.body.decode()
        assert json.loads(request.body)["data"]["applicant_id"] == applicant["id"]
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    shown = client.get(f"/api/v1/applicants/{applicant['id']}").json()
    assert shown["status"] == "verified" and shown["documents"][0]["decision"] == "auto_approved"
