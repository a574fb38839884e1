"""Reviewers see the card with its printed text (the NIK among it) blurred; an audited
reveal, with a reason, shows the original once (POST, redirect, one view)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage

from reviews.models import ReviewEvent
from reviews.redaction import blurred_card
from tests.reviews.documents import card

pytestmark = pytest.mark.django_db


def page_of(review) -> str:
    return f"/admin/reviews/manualreview/{review.id}/review/"


def image_of(review) -> str:
    return f"/admin/reviews/manualreview/{review.id}/image/"


@pytest.fixture
def revealer(client, rita_reviewer):
    rita_reviewer.user_permissions.add(Permission.objects.get(codename="reveal_nik"))
    client.force_login(type(rita_reviewer).objects.get(pk=rita_reviewer.pk))
    return client


def body(response) -> bytes:
    """The image bytes, blurred (one response) or the original (streamed from storage)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_number(jpeg: bytes, doc_type: str) -> dict:
    from ocr_gpu.engine import read_card

    return read_card(jpeg, doc_type_hint=doc_type).fields


@pytest.mark.parametrize("index", [0, 3])
def test_the_blurred_card_has_no_readable_nik_but_the_original_does(index):
    from cardgen.cards import render_card

    made, jpeg = render_card(20261122, index)  # a KTP and an NPWP, clean and hard, flat and in a photo
    numbers = {made.fields[name] for name in ("nik", "npwp") if made.fields.get(name)}

    def numbers_in(fields: dict) -> set[str]:
        digits = re.sub(r"\D", "", " ".join(str(value) for value in fields.values()))
        return {number for number in numbers if number in digits}

    assert numbers_in(read_number(jpeg, made.doc_type))
    blurred = blurred_card(jpeg)
    assert blurred[:2] == b"\xff\xd8"
    assert numbers_in(read_number(blurred, made.doc_type)) == set()


def test_a_reviewer_gets_the_blurred_card_and_a_reveal_shows_the_original_once(revealer, needs_review):
    review = needs_review.manual_review
    with default_storage.open(needs_review.storage_key, "rb") as stored:
        original = stored.read()
    blurred = revealer.get(image_of(review))
    assert blurred.status_code == 200 and blurred["Content-Type"] == "image/jpeg"
    assert "no-store" in blurred["Cache-Control"] and body(blurred) != original
    assert read_number(body(blurred), "KTP").get("nik") != needs_review.ocr_result.fields["nik"]

    # Without a reason: refused, nothing audited, nothing revealed.
    response = revealer.post(page_of(review), {"action": "reveal", "reason": "  "})
    assert response.status_code == 200 and "reason" in response.content.decode().lower()
    assert not ReviewEvent.objects.filter(action="nik_revealed").exists()

    response = revealer.post(page_of(review), {"action": "reveal", "reason": "photo looks edited"})
    assert response.status_code == 302
    page = body(revealer.get(page_of(review))).decode()
    url = re.search(r'id="card-image" src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "?reveal=" in url
    assert body(revealer.get(url)) == original
    assert body(revealer.get(url)) != original  # used up: blurred again
    # A refresh shows the masked page and the blurred card; the reveal is audited once.
    again = body(revealer.get(page_of(review))).decode()
    assert "?reveal=" not in again and needs_review.ocr_result.fields["nik"] not in again
    assert ReviewEvent.objects.filter(action="nik_revealed", reason="photo looks edited").count() == 1


def test_a_guessed_or_foreign_reveal_token_gets_the_blurred_card(client, revealer, needs_review, sam):
    review = needs_review.manual_review
    with default_storage.open(needs_review.storage_key, "rb") as stored:
        original = stored.read()
    assert body(revealer.get(image_of(review) + "?reveal=guess")) != original
    revealer.post(page_of(review), {"action": "reveal", "reason": "check"})
    page = body(revealer.get(page_of(review))).decode()
    url = re.search(r'id="card-image" src="([^"]+)"', page).group(1).replace("&amp;", "&")
    client.force_login(sam)  # another reviewer's session, without the permission
    assert body(client.get(url)) != original


def test_a_reviewer_without_the_permission_cannot_reveal(client, rita_reviewer, needs_review):
    client.force_login(rita_reviewer)
    review = needs_review.manual_review
    assert client.post(page_of(review), {"action": "reveal", "reason": "curious"}).status_code == 403
    assert not ReviewEvent.objects.filter(action="nik_revealed").exists()
    assert card()[1] != body(client.get(image_of(review)))


def test_the_applicants_own_image_endpoint_is_unchanged(alice, needs_review):
    from tests.conftest import client_for

    response = client_for(alice).get(f"/api/v1/documents/{needs_review.id}/image")
    with default_storage.open(needs_review.storage_key, "rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_the_redaction_benchmark_prints_what_the_ocr_reads_before_and_after():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("redaction_benchmark", "--count", "1", "--seed", "20261122", stdout=out)
    assert re.search(
        r"cards 1 \(seed 20261122\): NIK/NPWP read on the original 1, on the blurred card 0;", out.getvalue()
    )
