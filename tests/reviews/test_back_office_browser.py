"""The reviewers' back office in a real browser: Playwright drives Debian's chromium headless.

Screenshots land in test-artifacts/ (git-ignored): the queue and the review page.
"""

from pathlib import Path

import pytest

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


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: `make test` installs it.")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made here
    # between browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def log_in(browser, live_server, email: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_approves_a_document_from_the_queue(browser, live_server, alice, reviewer):
    rita = reviewer("rita@filot.example")
    older = document_needing_review(alice, score=48)
    document = document_needing_review(alice, score=71, index=1)
    page = log_in(browser, live_server, rita.email)

    page.click("text=Manual reviews")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    # Oldest first, with the waiting time shown.
    assert str(older.id)[:8] in rows.nth(0).inner_text()
    assert "0h 0" in rows.nth(0).locator(".field-waiting").inner_text()
    assert "********" in rows.nth(0).inner_text()  # the masked NIK
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

    page.click(f"a.review-link:has-text('{str(document.id)[:8]}')")
    page.wait_for_selector("#review-page")
    image_width = page.eval_on_selector("#card-image", "img => img.complete && img.naturalWidth")
    assert image_width > 300  # the card image came through the authorized admin view
    fields = page.inner_text("#fields")
    name = document.ocr_result.fields["name"]
    assert name in fields
    assert document.ocr_result.fields["nik"] not in fields  # masked without the reveal permission
    assert "95%" in fields and "62%" in fields  # each field's confidence
    assert "low_confidence_name" in page.inner_text("#reasons")
    assert "nik_birth_date_matches" in page.inner_text("#nik-checks")

    page.click("#claim")
    page.wait_for_selector("#approve")
    page.click("button[data-zoom='0.25']")  # zoom in on the card
    page.fill("#reason", "Photo, NIK and name agree with the profile")
    page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
    page.click("#approve")
    page.wait_for_selector("#decision")
    assert page.inner_text("#review-state") == "completed"
    assert "approved" in page.inner_text("#audit-trail")

    assert Document.objects.get(pk=document.id).status == "approved"
    last = DocumentTransition.objects.filter(document=document).last()
    assert (last.to_status, last.actor_kind, last.actor_id) == ("approved", "reviewer", str(rita.pk))
    assert last.reason == "Photo, NIK and name agree with the profile"
    assert Document.objects.get(pk=older.id).status == "needs_review"


@pytest.mark.django_db(transaction=True)
def test_a_second_reviewer_cannot_decide_a_document_claimed_by_the_first(
    browser, live_server, alice, reviewer
):
    rita = reviewer("rita@filot.example")
    sam = reviewer("sam@filot.example")
    document = document_needing_review(alice)
    review = document.manual_review
    review_path = f"/admin/reviews/manualreview/{review.id}/review/"

    rita_page = log_in(browser, live_server, rita.email)
    rita_page.goto(live_server.url + review_path)
    rita_page.click("#claim")
    rita_page.wait_for_selector("#approve")

    sam_page = log_in(browser, live_server, sam.email)
    sam_page.goto(live_server.url + review_path)
    assert "Claimed by rita@filot.example" in sam_page.inner_text("#claimed-by-other")
    assert sam_page.locator("#approve").count() == 0
    # Even a hand-made POST (the buttons are hidden, not the only guard) is refused.
    sam_page.evaluate(
        """() => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const form = document.createElement('form');
            form.method = 'post';
            for (const [name, value] of [['csrfmiddlewaretoken', token], ['action', 'approve'],
                                         ['reason', 'sneaky']]) {
                const input = document.createElement('input');
                input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    sam_page.wait_for_selector(".messagelist")
    assert "Another reviewer holds this review" in sam_page.inner_text(".messagelist")

    review = ManualReview.objects.get(pk=review.pk)
    assert (review.state, review.assignee_id) == ("claimed", rita.pk)
    assert Document.objects.get(pk=document.id).status == "needs_review"
    # The first reviewer still decides it.
    services.complete_manual_review(
        review_id=review.id, decision="reject", reason="Forged card", actor=services.Actor.reviewer(rita)
    )
    assert Document.objects.get(pk=document.id).status == "rejected"
