"""An NPWP left with a human because its KTP was in review is decided again when a
reviewer or BULI2 approves that KTP: the re-score the system's own decision runs."""

import json
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test import Client
from prometheus_client import REGISTRY

from idnumbers.nik import make_nik
from kyc.models import Applicant, Document, DocumentTransition, OcrResult, Profile, Status
from reviews import services
from reviews.models import ManualReview, ReviewEvent
from reviews.signing import sign_callback
from tests.kyc.decided import BIRTH, NAME, decide_reading, ktp_reading, npwp_reading
from tests.kyc.integrator import key_client, new_api_key, new_applicant
from tests.reviews.conftest import SIGNATURE_SECRET

OTHER_NIK_NPWP = {"name": "SITI RAHMAWATI", "nik": make_nik("3171", 1, BIRTH, female=False, serial=77)}
DECIDED = (Status.APPROVED, Status.REJECTED, Status.AUTO_APPROVED, Status.AUTO_REJECTED)


def waiting_pair(owner: object, npwp: dict | None = None) -> tuple[Document, Document]:
    """A KTP a human must look at (expired: 85) and an NPWP scored against it, which
    stays with a human whatever its score while that KTP has not passed."""
    Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
    ktp = decide_reading(owner, ktp_reading(valid_until="2020-01-01"))
    document = decide_reading(owner, npwp_reading(**(npwp or {})))
    assert (ktp.status, document.status) == (Status.NEEDS_REVIEW, Status.NEEDS_REVIEW)
    return ktp, document


def decisions(document: Document) -> list[tuple[str, str]]:
    rows = DocumentTransition.objects.filter(document=document, to_status__in=DECIDED)
    return [(row.to_status, row.actor_kind) for row in rows.order_by("at", "id")]


def actions(document: Document) -> list[tuple[str, str]]:
    rows = ReviewEvent.objects.filter(review__document=document).order_by("at", "id")
    return [(row.action, row.actor_kind) for row in rows]


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("filot_decisions_total", {"outcome": outcome}) or 0.0


def approve_as_reviewer(review: ManualReview, user: object, decision: str = "approve") -> None:
    services.claim_review(review_id=review.pk, user=user)
    services.complete_manual_review(
        review_id=review.pk,
        decision=decision,
        reason="card_genuine_matches",
        actor=services.Actor.reviewer(user),
    )


@pytest.mark.parametrize(
    ("thresholds", "npwp", "expected", "closed"),
    [
        ((85, 35), None, Status.APPROVED, "approve"),  # 100 > 85
        ((100, 35), None, Status.NEEDS_REVIEW, ""),  # 100 is not above 100: its human decides
        ((85, 35), OTHER_NIK_NPWP, Status.REJECTED, "reject"),  # 0 < 35
    ],
)
def test_a_reviewer_approving_the_ktp_decides_the_npwp_on_its_score(
    alice, rita_reviewer, settings, django_capture_on_commit_callbacks, thresholds, npwp, expected, closed
) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = thresholds
    ktp, document = waiting_pair(alice, npwp)
    before = {outcome: counted(outcome) for outcome in ("approved", "auto_approved", "auto_rejected")}
    trail = DocumentTransition.objects.filter(document=document).count()

    with django_capture_on_commit_callbacks(execute=True):  # the reviewer's decision commits
        approve_as_reviewer(ktp.manual_review, rita_reviewer)

    document.refresh_from_db()
    assert document.status == expected
    review = ManualReview.objects.get(document=document)
    if closed:
        # One decision, by the system, and its review closed by the system with it.
        assert decisions(document) == [(expected, "system")]
        assert DocumentTransition.objects.filter(document=document).count() == trail + 1  # score unchanged
        assert (review.state, review.decision, review.decided_by_kind) == ("completed", closed, "system")
        assert actions(document) == [("opened", "system"), ("completed", "system")]
        outcome = {Status.APPROVED: "auto_approved", Status.REJECTED: "auto_rejected"}[expected]
        assert counted(outcome) - before[outcome] == 1  # the system's decision, not a human's
    else:
        assert decisions(document) == []
        assert DocumentTransition.objects.filter(document=document).count() == trail  # nothing changed
        assert review.state == "open"
        assert counted("auto_approved") == before["auto_approved"]
    assert counted("approved") - before["approved"] == 1  # the KTP, by a human


def test_a_reviewer_rejecting_the_ktp_leaves_the_npwp_with_its_human(
    alice, rita_reviewer, settings, django_capture_on_commit_callbacks
) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    ktp, document = waiting_pair(alice)
    with django_capture_on_commit_callbacks(execute=True):
        approve_as_reviewer(ktp.manual_review, rita_reviewer, decision="reject")
    document.refresh_from_db()
    assert document.status == Status.NEEDS_REVIEW and decisions(document) == []
    assert ManualReview.objects.get(document=document).state == "open"


def test_a_failing_rescore_after_a_reviewers_decision_leaves_the_npwp_with_its_human(
    alice, rita_reviewer, settings, django_capture_on_commit_callbacks, log_output
) -> None:
    """The reviewer's decision has committed; the NPWP's re-score then fails (its saved
    reading is damaged): the reviewer is not told of an error, the failure is logged and
    the NPWP waits for its human."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    ktp, document = waiting_pair(alice)
    OcrResult.objects.filter(document=document).update(fields=["not", "a", "reading"])

    with django_capture_on_commit_callbacks(execute=True):
        approve_as_reviewer(ktp.manual_review, rita_reviewer)  # no exception

    assert Document.objects.get(pk=ktp.pk).status == Status.APPROVED
    document.refresh_from_db()
    assert document.status == Status.NEEDS_REVIEW and decisions(document) == []
    assert ManualReview.objects.get(document=document).state == "open"
    assert "npwp_rescore_failed" in log_output.getvalue()


def signed_callback(client: object, review: ManualReview, *, event_id: str, decision: str) -> object:
    raw = json.dumps(
        {
            "event_id": event_id,
            "review_id": str(review.id),
            "decision": decision,
            "reason": "Checked by BULI2",
        }
    ).encode()
    timestamp = str(int(time.time()))
    return client.generic(
        "POST",
        "/api/v1/reviews/callback",
        raw,
        content_type="application/json",
        HTTP_X_BULI2_TIMESTAMP=timestamp,
        HTTP_X_BULI2_SIGNATURE=sign_callback(secret=SIGNATURE_SECRET, timestamp=timestamp, body=raw),
    )


def forward(review: ManualReview, case_id: str) -> ManualReview:
    """The review as `forward_review` leaves it once BULI2 took the case."""
    review.refresh_from_db()
    review.forward(buli2_review_id=case_id)
    review.save()
    return review


def test_buli2_approving_the_ktp_by_its_callback_decides_the_npwp(
    alice, buli2_settings, client, django_capture_on_commit_callbacks
) -> None:
    buli2_settings.KYC_APPROVE_ABOVE, buli2_settings.KYC_REJECT_BELOW = 85, 35
    ktp, document = waiting_pair(alice)
    review = forward(ktp.manual_review, "buli2-ktp")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_callback(client, review, event_id="evt-ktp-1", decision="approve")

    assert response.status_code == 200, response.content
    assert Document.objects.get(pk=ktp.pk).status == Status.APPROVED
    document.refresh_from_db()
    assert document.status == Status.APPROVED and decisions(document) == [(Status.APPROVED, "system")]
    assert ManualReview.objects.get(document=document).decided_by_kind == "system"


def test_an_npwp_with_buli2_keeps_its_decision_with_buli2_when_the_ktp_is_approved(
    alice, rita_reviewer, buli2_settings, client, django_capture_on_commit_callbacks
) -> None:
    buli2_settings.KYC_APPROVE_ABOVE, buli2_settings.KYC_REJECT_BELOW = 85, 35
    ktp, document = waiting_pair(alice)
    npwp_review = forward(document.manual_review, "buli2-npwp")

    with django_capture_on_commit_callbacks(execute=True):
        approve_as_reviewer(ktp.manual_review, rita_reviewer)

    document.refresh_from_db()
    npwp_review.refresh_from_db()
    assert document.status == Status.NEEDS_REVIEW and decisions(document) == []
    assert npwp_review.state == "forwarded"
    # BULI2 decides it, as it would have anyway.
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_callback(client, npwp_review, event_id="evt-npwp-1", decision="reject")
    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert document.status == Status.REJECTED and decisions(document) == [(Status.REJECTED, "buli2")]


# --- racing ---------------------------------------------------------------------------
def race(sides: dict[str, Callable[[], object]], first: str) -> dict[str, object]:
    """Each side in its own thread and database connection. `first` (a side's name) does
    its work and holds its transaction open while the other starts and waits on the
    locks; "none" releases both together. Returns what each side returned."""
    start, done, outcomes, errors = threading.Barrier(len(sides)), threading.Event(), {}, []

    def run(name: str, work: Callable[[], object]) -> None:
        try:
            start.wait()
            if first not in ("none", name):
                done.wait(5)
            with transaction.atomic():  # the work's own atomic blocks commit with this one
                outcomes[name] = work()
                if first == name:
                    done.set()
                    time.sleep(0.3)  # the other side now runs, and waits on what this one holds
            done.set()  # after its commit (and its after-commit work)
        except Exception as error:  # a deadlock or anything else: surfaced below
            errors.append(error)
            done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=side) for side in sides.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return outcomes


def owner_for(round_: int, make_user: Callable[..., object]) -> object:
    """Every other round an API-key applicant, whose `Applicant` row each audited
    transition locks (the lock order's middle step)."""
    if round_ % 2:
        created = new_applicant(key_client(new_api_key(f"Key {round_}")), external_id=f"racer-{round_}")
        return Applicant.objects.get(pk=created["id"]).user
    return make_user(f"racer{round_}@example.com")


def ktp_in_review(owner: object, nik: str) -> Document:
    Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
    ktp = decide_reading(owner, ktp_reading(nik=nik, valid_until="2020-01-01"))  # expired: 85
    assert ktp.status == Status.NEEDS_REVIEW
    return ktp


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decider", ["reviewer", "buli2"])
@pytest.mark.parametrize("first", ["ktp", "npwp", "none"])
def test_a_human_approving_the_ktp_while_the_npwp_is_ingested_decides_the_npwp_once(
    make_user, rita_reviewer, buli2_settings, settings, decider, first
) -> None:
    """The NPWP's first score and the KTP's approval by a reviewer (the admin) or BULI2
    (its signed callback) at once: the NPWP either sees the approved KTP and decides, or
    is left with a human and found by the approval's re-score, which decides it. Either
    way one decision by the system, one trail, no deadlock, no 500."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    for round_ in range(3 if first == "none" else 2):
        owner = owner_for(round_, make_user)
        nik = make_nik("3171", 1, BIRTH, female=False, serial=400 + round_)
        ktp = ktp_in_review(owner, nik)
        review = ktp.manual_review
        if decider == "reviewer":
            services.claim_review(review_id=review.pk, user=rita_reviewer)
        else:
            review = forward(review, f"buli2-ktp-{round_}")

        def approve_ktp(review: ManualReview = review, round_: int = round_) -> object:
            if decider == "reviewer":
                actor = services.Actor.reviewer(rita_reviewer)
                services.complete_manual_review(
                    review_id=review.pk, decision="approve", reason="ok", actor=actor
                )
                return 200
            return signed_callback(Client(), review, event_id=f"evt-{round_}", decision="approve").status_code

        def ingest_npwp(owner: object = owner, nik: str = nik) -> object:
            return decide_reading(owner, npwp_reading(nik=nik))

        outcomes = race({"ktp": approve_ktp, "npwp": ingest_npwp}, first)

        assert outcomes["ktp"] == 200
        assert Document.objects.get(pk=ktp.pk).status == Status.APPROVED
        npwp = Document.objects.get(pk=outcomes["npwp"].pk)
        assert decisions(npwp) in ([(Status.AUTO_APPROVED, "system")], [(Status.APPROVED, "system")])
        npwp_review = ManualReview.objects.filter(document=npwp).first()
        if npwp.status == Status.APPROVED:  # left with a human, then decided by the re-score
            assert npwp_review.state == "completed" and npwp_review.decided_by_kind == "system"
            assert actions(npwp) == [("opened", "system"), ("completed", "system")]
        else:
            assert npwp_review is None
        if first == "npwp":
            assert npwp.status == Status.APPROVED  # it was in review when the KTP was approved
        if first == "ktp":
            assert npwp.status == Status.AUTO_APPROVED  # it saw the approved KTP


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["ktp", "buli2", "none"])
def test_a_reviewer_approving_the_ktp_while_buli2_decides_the_npwp_leaves_one_decision(
    make_user, rita_reviewer, buli2_settings, settings, first
) -> None:
    """The NPWP's review is with BULI2; a reviewer approves the KTP (its re-score runs
    after commit) while BULI2's callback rejects the NPWP: BULI2's decision is the one,
    once, whichever commits first; the callback answers 200, nothing deadlocks."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    for round_ in range(3 if first == "none" else 2):
        owner = owner_for(round_, make_user)
        nik = make_nik("3171", 1, BIRTH, female=False, serial=500 + round_)
        Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
        npwp = decide_reading(owner, npwp_reading(low=("name",), nik=nik))  # no KTP yet: 82
        npwp_review = forward(npwp.manual_review, f"buli2-npwp-{round_}")
        ktp = ktp_in_review(owner, nik)  # the NPWP re-scored 82 -> 92, still held
        services.claim_review(review_id=ktp.manual_review.pk, user=rita_reviewer)

        def approve_ktp(review_id: object = ktp.manual_review.pk) -> object:
            reviewer = services.Actor.reviewer(rita_reviewer)
            return services.complete_manual_review(
                review_id=review_id, decision="approve", reason="ok", actor=reviewer
            ).document.status

        def buli2_rejects(review: ManualReview = npwp_review, round_: int = round_) -> object:
            return signed_callback(
                Client(), review, event_id=f"evt-n-{round_}", decision="reject"
            ).status_code

        outcomes = race({"ktp": approve_ktp, "buli2": buli2_rejects}, first)

        assert outcomes == {"ktp": Status.APPROVED, "buli2": 200}
        npwp.refresh_from_db()
        assert (npwp.status, npwp.score) == (Status.REJECTED, 92)
        assert decisions(npwp) == [(Status.REJECTED, "buli2")]
        assert [row for row in actions(npwp) if row[0] == "completed"] == [("completed", "buli2")]
