"""The reviewers' back office in a real browser: Playwright drives Debian's chromium headless.

Screenshots land in test-artifacts/ (git-ignored): the queue and the review page.
"""

from contextlib import contextmanager
from pathlib import Path

import pytest

from kyc.crypto import mask_nik
from kyc.models import Document, DocumentTransition
from reviews import services
from reviews.models import ManualReview
from tests.conftest import PASSWORD
from tests.reviews.documents import document_needing_review

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# As on this machine's probe: no background traffic to hosts the closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium():
    """Headless Debian chromium under Playwright.

    Playwright's sync API runs an event loop in this thread while it is open, so the
    tests touch the database only before and after this block, never inside it.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: `make test` installs it.")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(browser, live_server, email: str, language: str | None = None):
    """Signed in as `email`; in `language` (the switch's cookie) or the back office's default."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    if language:
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_approves_a_document_from_the_queue(live_server, alice, reviewer):
    rita = reviewer("rita@filot.example")
    older = document_needing_review(alice, score=48)
    document = document_needing_review(alice, score=71, index=1)
    card = document.ocr_result.fields
    with chromium() as browser:
        page = log_in(browser, live_server, rita.email)
        page.click("text=Tinjauan manual")  # Indonesian by default
        page.wait_for_selector("#result_list")
        rows = page.locator("#result_list tbody tr")
        queue = [rows.nth(number).inner_text() for number in range(rows.count())]
        first_waiting = rows.nth(0).locator(".field-waiting").inner_text()
        page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

        page.click(f"a.review-link:has-text('{str(document.id)[:8]}')")
        page.wait_for_selector("#review-page")
        # The card is blurred on the fly (reviews/redaction.py): wait for it to arrive.
        page.wait_for_function("() => document.getElementById('card-image').naturalWidth > 0")
        image_width = page.eval_on_selector("#card-image", "img => img.complete && img.naturalWidth")
        fields, reasons = page.inner_text("#fields"), page.inner_text("#reasons")
        checks = page.inner_text("#nik-checks")
        page.click("#claim")
        page.wait_for_selector("#approve")
        page.click("button[data-zoom='0.25']")  # zoom in on the card
        page.fill("#reason", "Photo, NIK and name agree with the profile")
        page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
        page.click("#approve")
        page.wait_for_selector("#decision")
        state, trail = page.inner_text("#review-state"), page.inner_text("#audit-trail")

    # The queue: oldest first, waiting time shown, NIK masked.
    assert len(queue) == 2
    assert str(older.id)[:8] in queue[0] and str(document.id)[:8] in queue[1]
    assert first_waiting.startswith("0j 0")
    assert mask_nik(older.ocr_result.fields["nik"]) in queue[0]
    # The review page: the image came through the authorized admin view, fields with confidence.
    assert image_width > 300
    assert card["name"] in fields
    assert card["nik"] not in fields and mask_nik(card["nik"]) in fields
    assert "95%" in fields and "62%" in fields
    assert "low_ocr_confidence" in reasons
    assert "nik_birth_date_matches" in checks
    assert state == "selesai"
    assert "perlu ditinjau → disetujui" in trail and "rita@filot.example" in trail

    assert Document.objects.get(pk=document.id).status == "approved"
    last = DocumentTransition.objects.filter(document=document).last()
    assert (last.to_status, last.actor_kind, last.actor_id) == ("approved", "reviewer", str(rita.pk))
    assert last.reason == "Photo, NIK and name agree with the profile"
    assert Document.objects.get(pk=older.id).status == "needs_review"


@pytest.mark.django_db(transaction=True)
def test_a_second_reviewer_cannot_decide_a_document_claimed_by_the_first(live_server, alice, reviewer):
    rita = reviewer("rita@filot.example")
    sam = reviewer("sam@filot.example")
    document = document_needing_review(alice)
    review = document.manual_review
    review_url = f"{live_server.url}/admin/reviews/manualreview/{review.id}/review/"
    with chromium() as browser:
        rita_page = log_in(browser, live_server, rita.email, language="en")
        rita_page.goto(review_url)
        rita_page.click("#claim")
        rita_page.wait_for_selector("#approve")

        sam_page = log_in(browser, live_server, sam.email, language="en")
        sam_page.goto(review_url)
        notice = sam_page.inner_text("#claimed-by-other")
        sam_buttons = sam_page.locator("#approve, #reject, #claim").count()
        # Even a hand-made POST is refused: hiding the buttons is not the only guard.
        sam_page.evaluate(FORGED_APPROVAL)
        sam_page.wait_for_selector(".messagelist")
        refusal = sam_page.inner_text(".messagelist")

    assert "Claimed by rita@filot.example" in notice
    assert sam_buttons == 0
    assert "Another reviewer holds this review" in refusal
    review = ManualReview.objects.get(pk=review.pk)
    assert (review.state, review.assignee_id) == ("claimed", rita.pk)
    assert Document.objects.get(pk=document.id).status == "needs_review"
    assert not DocumentTransition.objects.filter(document=document, actor_id=str(sam.pk)).exists()
    # The first reviewer still decides it.
    services.complete_manual_review(
        review_id=review.id, decision="reject", reason="Forged card", actor=services.Actor.reviewer(rita)
    )
    assert Document.objects.get(pk=document.id).status == "rejected"


FORGED_APPROVAL = """() => {
    const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
    const form = document.createElement('form');
    form.method = 'post';
    for (const [name, value] of [['csrfmiddlewaretoken', token], ['action', 'approve'], ['reason', 'mine']]) {
        const input = document.createElement('input');
        input.name = name; input.value = value; form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
}"""
