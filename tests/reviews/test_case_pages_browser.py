"""The case pages in a real browser (Debian chromium under Playwright), one session: a
reviewer works the queue with the keyboard, in Indonesian then in English, through an
applicant's upside-down KTP and their NPWP (both read by the real OCR actor), then
another applicant's KTP. Screenshots in test-artifacts/: the queue, the NPWP case, the
KTP case and its field-crop panel."""

import datetime as dt

import pytest

from kyc.models import Document, DocumentTransition, Status
from reviews.models import ManualReview
from tests.kyc.decided import decide_reading, ktp_reading
from tests.reviews.cases import (
    another_nik,
    clean_card,
    declare,
    npwp_of,
    read_and_decide,
    similar_name,
    upside_down,
)
from tests.reviews.test_back_office_browser import ARTIFACTS, chromium, log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
CASES = "/admin/reviews/manualreview/cases/"
LABELS = "ths => ths.map(t => t.textContent.trim())"  # the fields' labels, in the page's order


def applicants(alice: object, bob: object) -> tuple[Document, Document, Document]:
    card, jpeg = clean_card("KTP")
    birth = dt.date.fromisoformat(card.fields["birth_date"])
    # A name the scorer calls similar and another birth date: both cards need a human.
    declare(alice, full_name=similar_name(card.fields["name"]), date_of_birth=birth + dt.timedelta(days=3))
    # Her NPWP, printed with another NIK, before the KTP: re-scored when the KTP comes, the
    # NIKs disagree and it stays with a human (so would a matching one: an NPWP is decided
    # on a re-score only against a KTP that passed, and this KTP itself needs a human).
    npwp = read_and_decide(alice, "NPWP", npwp_of(card, nik=another_nik(card.fields["nik"])))
    ktp = read_and_decide(alice, "KTP", upside_down(jpeg))
    declare(bob, full_name="Rahmat Hidayat")
    other = decide_reading(bob, ktp_reading(), jpeg=clean_card("KTP", skip=1)[1])
    npwp.refresh_from_db()
    assert [d.status for d in (npwp, ktp, other)] == [Status.NEEDS_REVIEW] * 3, (npwp.reasons, ktp.reasons)
    codes = {reason["code"] for reason in npwp.reasons}
    assert "npwp_nik_mismatch" in codes and "no_ktp_on_file" not in codes, npwp.reasons
    return npwp, ktp, other


def test_a_reviewer_works_the_queue_with_the_keyboard_in_indonesian_and_english(
    live_server, alice, bob, reviewer
):
    rita = reviewer("rita@filot.example")
    npwp, ktp, other = applicants(alice, bob)
    seen = {}
    with chromium() as browser:
        page = log_in(browser, live_server, rita.email)
        page.goto(f"{live_server.url}{CASES}")
        seen["lang"] = page.get_attribute("html", "lang")
        seen["queue"] = page.inner_text("#cases")
        seen["claim_label"] = page.inner_text("#claim-next")
        page.screenshot(path=str(ARTIFACTS / "case-queue.png"), full_page=True)

        page.keyboard.press("n")  # claim next: the oldest case, its oldest document (the NPWP)
        page.wait_for_selector("#npwp-checks")
        page.wait_for_selector(".viewer-canvas img")
        seen["npwp_checks"] = page.inner_text("#npwp-checks")
        seen["npwp_fields"] = page.inner_text("#fields")
        page.screenshot(path=str(ARTIFACTS / "case-npwp.png"), full_page=True)
        page.keyboard.press("a")  # approve with the first preset reason
        page.wait_for_selector("#case-page[data-doc-type=KTP]")  # the rest of the case opens next

        page.wait_for_function("() => { const i = document.querySelector('.viewer-canvas img');"
                               " return i && i.complete && i.naturalWidth > 0; }")  # fmt: skip
        seen["shown"] = page.eval_on_selector(
            ".viewer-canvas img", "i => [i.src, i.naturalWidth, i.naturalHeight]"
        )
        seen["ktp_fields"] = page.inner_text("#fields")
        seen["crops"] = page.eval_on_selector_all("#fields .crop", "crops => crops.length")
        page.screenshot(path=str(ARTIFACTS / "case-ktp.png"), full_page=True)
        page.locator("#fields").screenshot(path=str(ARTIFACTS / "case-field-crops.png"))
        page.click("#zoom-in")
        page.click("#rotate")  # the viewer rotates the card a quarter turn
        seen["rotated"] = page.eval_on_selector(".viewer-canvas img", "i => i.style.transform")
        page.click("#fit")
        page.keyboard.press("o")  # the original photo, one key away
        page.wait_for_function(
            "() => document.querySelector('.viewer-canvas img').src.includes('/original/')"
        )
        page.keyboard.press("r")  # reject asks first ...
        page.wait_for_selector("#confirm[open]")
        page.keyboard.press("Escape")  # ... and a change of mind changes nothing
        page.wait_for_selector("#confirm", state="hidden")
        page.keyboard.press("u")  # request a re-upload, confirmed with Enter
        page.wait_for_selector("#confirm[open]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#case-page")  # the next case: bob's
        seen["next_owner"] = page.inner_text("h1")

        page.select_option("#language-select", "en")
        page.click("#language-apply")
        page.wait_for_selector("html[lang=en]")
        seen["english_actions"] = page.inner_text("#actions")
        page.keyboard.press("r")
        page.wait_for_selector("#confirm[open]")
        page.select_option("#reject-reason", "different_person")
        page.keyboard.press("Enter")
        page.wait_for_selector("#queue-empty")
        seen["empty"] = page.inner_text("#queue-empty")
        page.goto(f"{live_server.url}{CASES}{alice.pk}/?document={npwp.pk}")
        seen["trail"] = page.inner_text("#audit-trail")

    assert seen["lang"] == "id" and seen["claim_label"] == "Ambil berikutnya"
    assert seen["queue"].index("alice@example.com") < seen["queue"].index("bob@example.com")
    assert "NPWP15 (format lama)" in seen["npwp_checks"] and "NIK berbeda" in seen["npwp_checks"]
    assert "Tempat Lahir" not in seen["npwp_fields"] and "Tanggal Terdaftar" in seen["npwp_fields"]
    src, width, height = seen["shown"]
    assert src.endswith(f"/documents/{ktp.pk}/card/") and (width, height) == (1000, 630)
    assert seen["crops"] >= 10
    assert "rotate(90deg)" in seen["rotated"]
    assert "Berlaku Hingga" in seen["ktp_fields"] and "struktur valid" in seen["ktp_fields"]
    assert "bob@example.com" in seen["next_owner"]
    assert "Reject" in seen["english_actions"] and "Request re-upload" in seen["english_actions"]
    assert seen["empty"] == "No case is waiting."
    assert "rita@filot.example" in seen["trail"]

    assert Document.objects.get(pk=npwp.pk).status == Status.APPROVED
    approval = DocumentTransition.objects.filter(document=npwp).last()
    assert (approval.actor_id, approval.reason) == (str(rita.pk), "card_genuine_matches")
    review = ManualReview.objects.get(document=ktp)
    assert (review.state, review.reason) == ("failed", "reupload_requested: photo_unreadable")
    assert Document.objects.get(pk=ktp.pk).status == Status.RESUBMISSION_REQUESTED
    assert Document.objects.get(pk=other.pk).status == Status.REJECTED
    assert DocumentTransition.objects.filter(document=other).last().reason == "different_person"


def test_in_english_a_reviewer_claims_next_and_decides_an_npwp_and_an_upside_down_ktp_with_the_keyboard(
    live_server, alice, reviewer
):
    """The same flow with English chosen on the queue's switch: claim next, the NPWP
    approved with A, the upside-down KTP shown upright and rejected with R + Enter, then
    the queue is empty."""
    rita = reviewer("rita@filot.example")
    card, jpeg = clean_card("KTP", skip=2)
    birth = dt.date.fromisoformat(card.fields["birth_date"])
    declare(alice, full_name=similar_name(card.fields["name"]), date_of_birth=birth + dt.timedelta(days=3))
    npwp = read_and_decide(alice, "NPWP", npwp_of(card, nik=another_nik(card.fields["nik"])))
    ktp = read_and_decide(alice, "KTP", upside_down(jpeg))
    npwp.refresh_from_db()
    assert (npwp.status, ktp.status) == (Status.NEEDS_REVIEW, Status.NEEDS_REVIEW), (
        npwp.reasons,
        ktp.reasons,
    )
    seen = {}
    with chromium() as browser:
        page = log_in(browser, live_server, rita.email)
        page.goto(f"{live_server.url}{CASES}")
        page.select_option("#language-select", "en")
        page.click("#language-apply")
        page.wait_for_selector("html[lang=en]")
        seen["claim_label"] = page.inner_text("#claim-next")
        seen["queue_head"] = page.inner_text("#cases thead")
        page.screenshot(path=str(ARTIFACTS / "case-queue-en.png"), full_page=True)

        page.keyboard.press("n")
        page.wait_for_selector("#case-page[data-doc-type=NPWP]")
        page.wait_for_selector(".viewer-canvas img")
        seen["npwp_checks"] = page.inner_text("#npwp-checks")
        seen["npwp_labels"] = page.eval_on_selector_all(
            "#fields tbody th", "ths => ths.map(t => t.innerText)"
        )
        page.screenshot(path=str(ARTIFACTS / "case-npwp-en.png"), full_page=True)
        page.keyboard.press("a")
        page.wait_for_selector("#case-page[data-doc-type=KTP]")
        page.wait_for_function("() => { const i = document.querySelector('.viewer-canvas img');"
                               " return i && i.complete && i.naturalWidth > 0; }")  # fmt: skip
        seen["shown"] = page.eval_on_selector(
            ".viewer-canvas img", "i => [i.src, i.naturalWidth, i.naturalHeight]"
        )
        seen["ktp_labels"] = page.eval_on_selector_all("#fields tbody th", LABELS)
        seen["ktp_fields"] = page.inner_text("#fields")
        page.screenshot(path=str(ARTIFACTS / "case-ktp-en.png"), full_page=True)
        page.locator("#fields").screenshot(path=str(ARTIFACTS / "case-field-crops-en.png"))
        page.keyboard.press("r")
        page.wait_for_selector("#confirm[open]")
        seen["confirm"] = page.inner_text("#confirm")
        page.select_option("#reject-reason", "altered_or_fake")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#queue-empty")
        seen["empty"] = page.inner_text("#queue-empty")

    assert seen["claim_label"] == "Claim next" and "WAITING (SLA 24 HOURS)" in seen["queue_head"].upper()
    assert "NPWP15 (old format)" in seen["npwp_checks"] and "another NIK" in seen["npwp_checks"]
    assert seen["npwp_labels"][:3] == ["NPWP", "Name", "NIK"]  # the card's order
    src, width, height = seen["shown"]
    assert src.endswith(f"/documents/{ktp.pk}/card/") and (width, height) == (1000, 630)  # upright
    assert seen["ktp_labels"][:4] == ["Province", "Regency/City", "NIK", "Name"]
    assert "structure valid" in seen["ktp_fields"]
    assert "Reject this document?" in seen["confirm"]
    assert seen["empty"] == "No case is waiting."
    assert Document.objects.get(pk=npwp.pk).status == Status.APPROVED
    assert Document.objects.get(pk=ktp.pk).status == Status.REJECTED
    rejection = DocumentTransition.objects.filter(document=ktp).last()
    assert (rejection.actor_id, rejection.reason) == (str(rita.pk), "altered_or_fake")
