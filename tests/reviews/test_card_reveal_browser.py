"""The blurred card and an audited reveal in a real browser (Debian chromium under
Playwright). Screenshots: test-artifacts/card-blurred.png and card-revealed.png."""

import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage

from kyc.crypto import mask_nik
from reviews.models import ReviewEvent
from tests.reviews.documents import document_needing_review
from tests.reviews.test_back_office_browser import ARTIFACTS, chromium, log_in

IMAGE_DIGEST = """async img => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
}"""


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_sees_the_card_blurred_until_an_audited_reveal(live_server, alice, reviewer):
    rita = reviewer("rita@filot.example")
    rita.user_permissions.add(Permission.objects.get(codename="reveal_nik"))
    document = document_needing_review(alice)
    nik = document.ocr_result.fields["nik"]
    with default_storage.open(document.storage_key, "rb") as stored:
        original = hashlib.sha256(stored.read()).hexdigest()
    url = f"{live_server.url}/admin/reviews/manualreview/{document.manual_review.id}/review/"
    with chromium() as browser:
        page = log_in(browser, live_server, rita.email)
        page.goto(url)
        page.wait_for_function("() => document.getElementById('card-image').naturalWidth > 0")
        blurred = {
            "src": page.get_attribute("#card-image", "src"),
            "fields": page.inner_text("#fields"),
            "note": page.inner_text("#card-note"),
        }
        page.screenshot(path=str(ARTIFACTS / "card-blurred.png"), full_page=True)

        page.fill("#reveal-reason", "Name on the card differs from the profile")
        page.click("#reveal")
        page.wait_for_selector("#card-image[data-revealed='true']")
        page.wait_for_function("() => document.getElementById('card-image').naturalWidth > 0")
        revealed = {
            "url": page.url,
            "fields": page.inner_text("#fields"),
            "note": page.inner_text("#card-note"),
        }
        page.screenshot(path=str(ARTIFACTS / "card-revealed.png"), full_page=True)

        page.reload()  # a refresh: masked again, and no second audit row
        page.wait_for_function("() => document.getElementById('card-image').naturalWidth > 0")
        refreshed = {
            "revealed": page.get_attribute("#card-image", "data-revealed"),
            "fields": page.inner_text("#fields"),
        }
        refreshed["digest"] = page.eval_on_selector("#card-image", IMAGE_DIGEST)

    assert "?reveal=" not in blurred["src"] and "dikaburkan" in blurred["note"]  # Indonesian by default
    assert nik not in blurred["fields"] and mask_nik(nik) in blurred["fields"]
    assert revealed["url"] == url  # the POST was answered by a redirect to the page
    assert nik in revealed["fields"] and "dicatat dalam jejak audit" in revealed["note"]
    assert refreshed["revealed"] == "false" and nik not in refreshed["fields"]
    assert refreshed["digest"] != original
    (event,) = ReviewEvent.objects.filter(action="nik_revealed")
    assert (event.actor_id, event.reason) == (str(rita.pk), "Name on the card differs from the profile")
