"""The case pages through Django's test client: one case per applicant, claim next, the
decision flow with preset reasons, the card the engine flattened, people in the trail."""

import datetime as dt

import pytest

from kyc.models import Document, DocumentTransition, Status
from reviews.models import ManualReview
from tests.conftest import PASSWORD
from tests.kyc.decided import BIRTH, NAME, decide_reading, ktp_reading, npwp_reading
from tests.reviews.cases import clean_card, declare, read_and_decide, similar_name, upside_down

QUEUE, NEXT = "/admin/reviews/manualreview/cases/", "/admin/reviews/manualreview/cases/next/"


@pytest.fixture
def rita_client(client, rita_reviewer):
    client.login(username=rita_reviewer.email, password=PASSWORD)
    return client


@pytest.fixture
def alice_case(alice):
    """Alice's NPWP waits for a human, then her KTP arrives and needs one too; re-scored
    against the KTP, the NPWP (its name read with low confidence) still needs one."""
    declare(alice, full_name=similar_name(NAME), date_of_birth=BIRTH + dt.timedelta(days=3))
    npwp = decide_reading(alice, npwp_reading(low=("name",)))
    ktp = decide_reading(alice, ktp_reading())
    assert (npwp.status, ktp.status) == (Status.NEEDS_REVIEW, Status.NEEDS_REVIEW)
    return Document.objects.get(pk=npwp.pk), ktp


def in_english(client: object) -> object:
    client.cookies["django_language"] = "en"  # what the language switch sets
    return client


def case_url(owner: object, document: object | None = None) -> str:
    return f"{QUEUE}{owner.pk}/" + (f"?document={document.pk}" if document else "")


def test_the_queue_shows_one_case_per_applicant_with_both_documents(rita_client, alice_case, bob):
    declare(bob, full_name="Someone Else")
    decide_reading(bob, ktp_reading(name="SITI RAHMAWATI"))
    page = rita_client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="case-row"') == 2  # alice (KTP + NPWP) and bob
    assert html.index("alice@example.com") < html.index("bob@example.com")  # oldest first
    assert "KTP ·" in html and "NPWP ·" in html
    assert 'lang="id"' in html  # Indonesian by default, whatever the browser asks for


def test_claim_next_claims_the_oldest_case_and_a_decision_opens_the_next(
    rita_client, alice_case, rita_reviewer
):
    npwp, ktp = alice_case
    answer = rita_client.post(NEXT)
    assert answer.status_code == 302 and answer["Location"] == case_url(npwp.owner, npwp)
    review = ManualReview.objects.get(document=npwp)
    assert (review.state, review.assignee_id) == ("claimed", rita_reviewer.pk)

    decided = rita_client.post(
        f"{QUEUE}{npwp.owner_id}/decide/",
        {"review": review.pk, "action": "approve", "reason_code": "card_genuine_matches", "note": "ok"},
    )
    # The rest of the case next: the KTP, claimed for her.
    assert decided["Location"] == case_url(ktp.owner, ktp)
    assert Document.objects.get(pk=npwp.pk).status == Status.APPROVED
    last = DocumentTransition.objects.filter(document=npwp).last()
    assert (last.actor_kind, last.actor_id, last.reason) == (
        "reviewer",
        str(rita_reviewer.pk),
        "card_genuine_matches: ok",
    )
    assert ManualReview.objects.get(document=ktp).assignee_id == rita_reviewer.pk

    reupload = rita_client.post(
        f"{QUEUE}{ktp.owner_id}/decide/",
        {
            "review": ManualReview.objects.get(document=ktp).pk,
            "action": "reupload",
            "reason_code": "card_cut_off",
        },
    )
    assert reupload["Location"] == QUEUE  # nothing else waits
    review = ManualReview.objects.get(document=ktp)
    assert review.state == "failed" and review.reason == "reupload_requested: card_cut_off"
    ktp.refresh_from_db()
    assert (ktp.status, ktp.resubmission_hint) == (Status.RESUBMISSION_REQUESTED, "card_cut_off")
    asked = DocumentTransition.objects.filter(document=ktp).last()
    assert (asked.actor_kind, asked.actor_id) == ("reviewer", str(rita_reviewer.pk))


def test_an_unknown_reason_code_or_a_review_of_another_case_changes_nothing(rita_client, alice_case, bob):
    npwp, _ = alice_case
    rita_client.post(NEXT)
    review = ManualReview.objects.get(document=npwp)
    wrong_code = rita_client.post(
        f"{QUEUE}{npwp.owner_id}/decide/", {"review": review.pk, "action": "reject", "reason_code": "because"}
    )
    other_case = rita_client.post(
        f"{QUEUE}{bob.pk}/decide/", {"review": review.pk, "action": "reject", "reason_code": "wrong_document"}
    )
    garbage = rita_client.post(f"{QUEUE}{npwp.owner_id}/decide/", {"review": "not-a-uuid", "action": "x"})
    assert wrong_code.status_code == 302 and other_case.status_code == 404 and garbage.status_code == 404
    assert Document.objects.get(pk=npwp.pk).status == Status.NEEDS_REVIEW


def test_the_npwp_page_has_its_own_checks_against_the_ktp(rita_client, alice_case):
    npwp, _ = alice_case
    html = rita_client.get(case_url(npwp.owner, npwp)).content.decode()
    assert 'id="npwp-checks"' in html
    assert "NPWP15 (format lama)" in html
    assert "NIK sama" in html and "cocok" in html  # the KTP's NIK and name
    assert "Tempat Lahir" not in html and "Berlaku Hingga" not in html  # no KTP-only rows
    assert "Tanggal Terdaftar" in html and "KPP" in html


def test_the_name_verdict_is_the_scorers_fuzzy_match(rita_client, alice_case):
    _, ktp = alice_case
    html = in_english(rita_client).get(case_url(ktp.owner, ktp)).content.decode()
    assert "name_similar" in html
    verdict = html[html.index('id="name-verdict"') :][:200]
    assert "similar" in verdict  # the scorer's own thresholds: not a ✗


def test_the_audit_trail_names_people(rita_client, alice_case, rita_reviewer):
    npwp, _ = alice_case
    rita_client.post(NEXT)
    html = in_english(rita_client).get(case_url(npwp.owner, npwp)).content.decode()
    trail = html[html.index('id="audit-trail"') :]
    assert "rita@filot.example" in trail and "system" in trail
    assert str(rita_reviewer.pk)[:8] not in trail


@pytest.mark.slow
def test_an_upside_down_card_is_shown_upright_with_its_field_crops(rita_client, alice):
    card, jpeg = clean_card("KTP")
    birth = dt.date.fromisoformat(card.fields["birth_date"])
    declare(alice, full_name=similar_name(card.fields["name"]), date_of_birth=birth + dt.timedelta(days=3))
    document = read_and_decide(alice, "KTP", upside_down(jpeg))
    assert document.status == Status.NEEDS_REVIEW, document.reasons
    html = rita_client.get(case_url(alice, document)).content.decode()
    flattened = rita_client.get(f"{QUEUE}documents/{document.pk}/card/")
    original = rita_client.get(f"{QUEUE}documents/{document.pk}/original/")
    assert flattened.status_code == 200 and {"private", "no-store"} <= set(
        flattened["Cache-Control"].split(", ")
    )
    assert original.status_code == 200
    from io import BytesIO

    from PIL import Image

    from ocr_gpu.engine import read_card

    image = flattened.content
    assert Image.open(BytesIO(image)).size == (1000, 630)
    shown = read_card(image, "KTP")
    assert shown.upside_down is False  # stored upright
    assert shown.fields.get("name")  # the card stays readable...
    assert shown.fields.get("nik") != card.fields["nik"]  # ...but its NIK line is blurred (UU PDP)
    assert card.fields["nik"] not in str(read_card(original.content, "KTP").fields)
    assert html.count('class="crop"') >= 10
    assert card.fields["nik"] not in html
    anonymous = rita_client.__class__().get(f"{QUEUE}documents/{document.pk}/card/")
    assert anonymous.status_code == 302  # to the log-in page


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_next_at_once_get_different_documents(alice, bob, reviewer):
    import threading

    from django.db import connection
    from django.test import Client

    declare(alice, full_name="Someone Else")
    declare(bob, full_name="Someone Else")
    documents = [decide_reading(alice, ktp_reading()), decide_reading(bob, npwp_reading(low=("name",)))]
    clients = []
    for email in ("rita@filot.example", "sam@filot.example"):
        reviewer(email)
        client = Client()
        client.login(username=email, password=PASSWORD)
        clients.append(client)
    start, answers = threading.Barrier(2), []

    def claim(client: Client) -> None:
        start.wait()
        answers.append(client.post(NEXT)["Location"])
        connection.close()

    threads = [threading.Thread(target=claim, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == sorted(case_url(d.owner, d) for d in documents)
    reviews = ManualReview.objects.filter(document__in=documents)
    assert {review.state for review in reviews} == {"claimed"}
    assert len({review.assignee_id for review in reviews}) == 2


def test_the_back_office_starts_in_indonesian_while_the_api_stays_in_english(client, rita_reviewer):
    login = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert login["Content-Language"] == "id" and 'lang="id"' in login.content.decode()
    api = client.post("/api/v1/auth/token", {"email": "nobody@example.com"}, content_type="application/json")
    assert api.status_code == 400 and "This field is required." in api.content.decode()
    client.cookies["django_language"] = "en"
    assert client.get("/admin/login/")["Content-Language"] == "en"
