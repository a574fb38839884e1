"""An NPWP sent to a human before the applicant's KTP arrived is re-scored against it."""

import json
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from prometheus_client import REGISTRY

from filot.errors import Conflict
from idnumbers.nik import make_nik
from kyc import scoring, services
from kyc.crypto import seal_for_ring
from kyc.integrations.applicants import overall_status
from kyc.models import Applicant, Document, DocumentTransition, Profile, Status
from reviews import services as review_services
from reviews.models import WORKABLE_STATES, ManualReview, ReviewEvent
from reviews.services import SYSTEM, Actor, ensure_reviewer
from tests.conftest import PASSWORD
from tests.factories import document_row
from tests.kyc.decided import BIRTH, NAME, decide_reading, ktp_reading, npwp_reading
from tests.kyc.integrator import key_client, new_api_key, new_applicant


@pytest.fixture
def declared(alice):
    Profile.objects.filter(user=alice).update(full_name=NAME, date_of_birth=BIRTH)
    return alice


def codes(document: object) -> set[str]:
    return {reason["code"] for reason in document.reasons}


def transitions(document: object) -> list[tuple[str, str, str]]:
    rows = DocumentTransition.objects.filter(document=document).order_by("at", "id")
    return [(row.from_status, row.to_status, row.actor_kind) for row in rows]


def review_actions(document: object) -> list[tuple[str, str, str]]:
    rows = ReviewEvent.objects.filter(review__document=document).order_by("at", "id")
    return [(row.action, row.to_state, row.actor_kind) for row in rows]


def test_an_npwp_rescored_above_the_threshold_when_the_ktp_arrives_is_approved(declared, settings) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    # Low confidence on the name (-8) and no KTP on file (-10): 82, a human looks.
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    assert npwp.status == Status.NEEDS_REVIEW and npwp.score == 82
    assert "no_ktp_on_file" in codes(npwp)

    ktp = decide_reading(declared, ktp_reading())
    assert ktp.status == Status.AUTO_APPROVED

    npwp.refresh_from_db()
    # 92 > 85: the new score decides, as a first score of 92 would have.
    assert (npwp.status, npwp.score) == (Status.APPROVED, 92)
    assert npwp.decided_at is not None
    assert "no_ktp_on_file" not in codes(npwp) and "npwp_matches_ktp" in codes(npwp)
    rescored, decided = list(DocumentTransition.objects.filter(document=npwp).order_by("at", "id"))[-2:]
    assert (rescored.from_status, rescored.to_status, rescored.actor_kind) == (
        "needs_review",
        "needs_review",
        "system",
    )
    assert "82 -> 92" in rescored.reason
    assert (decided.from_status, decided.to_status, decided.actor_kind) == (
        "needs_review",
        "approved",
        "system",
    )
    assert "approved at score 92" in decided.reason
    # Its review case is closed by the system, with the decision and why.
    review = ManualReview.objects.get(document=npwp)
    assert (review.state, review.decision, review.decided_by_kind) == ("completed", "approve", "system")
    assert "82 -> 92" in review.reason and review.completed_at is not None
    assert review_actions(npwp) == [("opened", "open", "system"), ("completed", "completed", "system")]
    assert not ManualReview.objects.filter(state__in=WORKABLE_STATES, document=npwp).exists()


def test_an_npwp_rescored_between_the_thresholds_stays_with_its_reviewer(declared, settings) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 95, 35
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    user = ensure_reviewer(email="rita@filot.example", password=PASSWORD)[0]
    review_services.claim_review(review_id=npwp.manual_review.pk, user=user)
    decide_reading(declared, ktp_reading())

    npwp.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.NEEDS_REVIEW, 92)  # 92 is not above 95
    assert transitions(npwp)[-1] == ("needs_review", "needs_review", "system")
    review = ManualReview.objects.get(document=npwp)
    assert (review.state, review.assignee_id) == ("claimed", user.pk)  # her claim stands
    # and she decides it as usual.
    review_services.complete_manual_review(
        review_id=review.pk, decision="approve", reason="card_genuine_matches", actor=Actor.reviewer(user)
    )
    npwp.refresh_from_db()
    assert npwp.status == Status.APPROVED


def test_an_npwp_rescored_below_the_threshold_is_rejected_and_a_claim_on_it_ends(declared, settings) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 60
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    user = ensure_reviewer(email="rita@filot.example", password=PASSWORD)[0]
    review_services.claim_review(review_id=npwp.manual_review.pk, user=user)
    other = make_nik("3171", 1, BIRTH, female=False, serial=77)
    # A KTP that passes, with another NIK than the NPWP16: 82 + 10 - 35 = 57 < 60.
    assert decide_reading(declared, ktp_reading(nik=other)).status == Status.AUTO_APPROVED

    npwp.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.REJECTED, 57)
    assert "npwp_nik_mismatch" in codes(npwp)
    assert transitions(npwp)[-2:] == [
        ("needs_review", "needs_review", "system"),
        ("needs_review", "rejected", "system"),
    ]
    review = ManualReview.objects.get(document=npwp)
    assert (review.state, review.decision, review.decided_by_kind) == ("completed", "reject", "system")
    assert review.claim_expires_at is None
    assert [action for action, _, _ in review_actions(npwp)] == ["opened", "claimed", "completed"]
    # The reviewer who held the claim can no longer decide it: a conflict, nothing written.
    with pytest.raises(Conflict):
        review_services.complete_manual_review(
            review_id=review.pk, decision="reject", reason="different_person", actor=Actor.reviewer(user)
        )
    assert len(review_actions(npwp)) == 3


def test_a_failed_review_of_an_npwp_decided_by_its_rescore_is_reopened_then_completed(declared) -> None:
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    review_services.fail_review(review_id=npwp.manual_review.pk, reason="cannot tell", actor=SYSTEM)
    decide_reading(declared, ktp_reading())
    npwp.refresh_from_db()
    assert npwp.status == Status.APPROVED
    assert [action for action, _, _ in review_actions(npwp)] == ["opened", "failed", "reopened", "completed"]
    assert ManualReview.objects.get(document=npwp).state == "completed"


def test_an_npwp_waiting_for_review_is_rescored_when_the_ktp_arrives(declared, settings) -> None:
    settings.KYC_APPROVE_ABOVE = 95  # keep it in review: the score and reasons are what changes
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    decide_reading(declared, ktp_reading())
    npwp.refresh_from_db()
    assert npwp.status == Status.NEEDS_REVIEW and npwp.score == 92
    assert "no_ktp_on_file" not in codes(npwp) and "npwp_matches_ktp" in codes(npwp)
    audit = DocumentTransition.objects.filter(document=npwp).order_by("at", "id").last()
    assert (audit.from_status, audit.to_status) == (Status.NEEDS_REVIEW, Status.NEEDS_REVIEW)
    assert audit.actor_kind == "system" and "82 -> 92" in audit.reason
    assert npwp.manual_review.state == "open"


def test_a_ktp_in_another_name_than_the_npwp_lowers_its_score(declared) -> None:
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    decide_reading(declared, ktp_reading(name="SITI RAHMAWATI"))  # the KTP itself needs a human

    npwp.refresh_from_db()
    assert {"npwp_name_mismatch"} <= codes(npwp)
    assert npwp.score == 82 + 10 - 30


@pytest.mark.parametrize(
    ("ktp", "would_be"),
    [
        ({"valid_until": "2020-01-01"}, 92),  # an expired KTP (-15, 85): its reviewer decides it
        ({"name": "SITI RAHMAWATI", "nik": make_nik("3171", 1, BIRTH, female=False, serial=77)}, 27),
    ],
)
def test_an_npwp_rescored_against_a_ktp_still_in_review_stays_with_the_human(
    declared, settings, ktp, would_be
) -> None:
    """A decisive new score (92 above 85, 27 below 35) does not decide the NPWP while the
    KTP it was checked against waits for a human itself: re-scored, audited, still open."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    assert decide_reading(declared, ktp_reading(**ktp)).status == Status.NEEDS_REVIEW

    npwp.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.NEEDS_REVIEW, would_be)
    assert "no_ktp_on_file" not in codes(npwp)
    assert transitions(npwp)[-1] == ("needs_review", "needs_review", "system")
    assert (
        f"82 -> {would_be}"
        in DocumentTransition.objects.filter(document=npwp).order_by("at", "id").last().reason
    )
    assert ManualReview.objects.get(document=npwp).state == "open"
    assert review_actions(npwp) == [("opened", "open", "system")]


def test_a_rejected_ktp_or_a_decided_npwp_changes_nothing(declared, bob) -> None:
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    rejected = decide_reading(declared, {**ktp_reading(), "error": "blank image: no text found"})
    assert rejected.status == Status.AUTO_REJECTED  # not on file
    decide_reading(bob, ktp_reading())  # another applicant's KTP
    npwp.refresh_from_db()
    assert npwp.score == 82 and "no_ktp_on_file" in codes(npwp)


def decide_at_once(readings: dict[str, tuple[object, dict]]) -> dict:
    """Decide each (owner, reading) in its own thread, released together."""
    start, decided, errors = threading.Barrier(len(readings)), {}, []

    def run(kind: str, owner: object, reading: dict) -> None:
        try:
            start.wait()
            decided[kind] = decide_reading(owner, reading)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(kind, *args)) for kind, args in readings.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return decided


@pytest.mark.django_db(transaction=True)
def test_an_npwp_and_its_ktp_decided_at_once_still_meet(make_user) -> None:
    for round_ in range(3):
        owner = make_user(f"racer{round_}@example.com")
        nik = make_nik("3171", 1, BIRTH, female=False, serial=100 + round_)  # one person per round
        Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
        decided = decide_at_once(
            {"npwp": (owner, npwp_reading(low=("name",), nik=nik)), "ktp": (owner, ktp_reading(nik=nik))}
        )
        npwp = decided["npwp"]
        npwp.refresh_from_db()
        # Whichever committed first, the NPWP ends up checked against the KTP.
        assert "npwp_matches_ktp" in codes(npwp), npwp.reasons


def race_ktp_against_reviewer(owner: object, nik: str, review_id: object, user: object, first: str) -> dict:
    """The KTP ingested (re-scoring the NPWP) while the reviewer rejects the NPWP. `first`
    ("ktp" or "reviewer") does its work and holds its transaction open while the other
    starts and waits on the locks; "none" releases both together."""
    start, done, outcomes, errors = threading.Barrier(2), threading.Event(), {}, []

    def side(name: str, work: Callable[[], object]) -> None:
        start.wait()
        if first not in ("none", name):
            done.wait(5)
        with transaction.atomic():  # its work's own atomic blocks commit with this one
            outcomes[name] = work()
            if first == name == "reviewer":
                done.set()
                time.sleep(0.3)  # the other side now waits on a lock this one holds
        # The KTP's re-score of the NPWP runs once its transaction commits: "ktp" first
        # is done only then.
        done.set()

    def ingest_ktp() -> object:
        return decide_reading(owner, ktp_reading(nik=nik)).status

    def reviewer_rejects() -> object:
        try:
            review_services.complete_manual_review(
                review_id=review_id, decision="reject", reason="altered_or_fake", actor=Actor.reviewer(user)
            )
        except Conflict:
            return "conflict"
        return "decided"

    def run(name: str, work: Callable[[], object]) -> None:
        try:
            side(name, work)
        except Exception as error:  # a deadlock or anything else: surfaced below
            errors.append(error)
            done.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=args)
        for args in (("ktp", ingest_ktp), ("reviewer", reviewer_rejects))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["ktp", "reviewer", "none"])
def test_a_rescore_racing_a_reviewer_on_the_same_npwp_has_exactly_one_winner(
    make_user, settings, first
) -> None:
    """The KTP's ingestion re-scores the NPWP (to approve it) while the reviewer holding
    its claim rejects it: one decision wins, the other changes nothing, no deadlock."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    user = ensure_reviewer(email="rita@filot.example", password=PASSWORD)[0]
    winners = []
    for round_ in range(3 if first == "none" else 1):
        owner = make_user(f"race-review{round_}@example.com")
        nik = make_nik("3171", 1, BIRTH, female=False, serial=200 + round_)
        Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
        npwp = decide_reading(owner, npwp_reading(low=("name",), nik=nik))
        review = review_services.claim_review(review_id=npwp.manual_review.pk, user=user)

        outcomes = race_ktp_against_reviewer(owner, nik, review.pk, user, first)

        assert outcomes["ktp"] == Status.AUTO_APPROVED  # the KTP's own decision never rolled back
        npwp.refresh_from_db()
        review.refresh_from_db()
        decisions = [row for row in transitions(npwp) if row[1] in (Status.APPROVED, Status.REJECTED)]
        completed = ReviewEvent.objects.filter(review=review, action="completed")
        assert len(decisions) == 1 and completed.count() == 1
        if outcomes["reviewer"] == "decided":
            winners.append("reviewer")
            assert npwp.status == Status.REJECTED and decisions[0][2] == "reviewer"
            assert (review.decision, review.decided_by_kind) == ("reject", "reviewer")
            assert npwp.score == 82  # the re-score found it decided and changed nothing
        else:
            winners.append("ktp")
            assert npwp.status == Status.APPROVED and decisions[0][2] == "system"
            assert (review.decision, review.decided_by_kind) == ("approve", "system")
        assert completed.get().actor_kind == decisions[0][2]
    if first != "none":
        assert winners == [first]


def test_a_reviewer_approving_an_npwp_its_rescore_approved_is_told_it_was_decided(declared, settings) -> None:
    """The same decision, but not hers: a conflict, not a silent success; BULI2's late
    callback with that decision still answers unchanged (its idempotency)."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    user = ensure_reviewer(email="rita@filot.example", password=PASSWORD)[0]
    review = review_services.claim_review(review_id=npwp.manual_review.pk, user=user)
    decide_reading(declared, ktp_reading())
    with pytest.raises(Conflict):
        review_services.complete_manual_review(
            review_id=review.pk, decision="approve", reason="card_genuine_matches", actor=Actor.reviewer(user)
        )
    review_services.complete_manual_review(
        review_id=review.pk, decision="approve", reason="checked", actor=review_services.BULI2
    )
    assert [action for action, _, _ in review_actions(npwp)] == ["opened", "claimed", "completed"]


def api_key_applicant(external_id: str) -> object:
    """An applicant made through the integrator API: the owner has an `Applicant` row,
    which every status change of their documents locks (kyc.integrations.events)."""
    created = new_applicant(key_client(new_api_key(f"Key {external_id}")), external_id=external_id)
    owner = Applicant.objects.get(pk=created["id"]).user
    Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
    return owner


@pytest.mark.django_db(transaction=True)
def test_a_rescore_racing_a_reviewer_on_an_api_key_applicants_npwp_never_deadlocks(settings) -> None:
    """The KTP's ingestion locks the `Applicant` row before the NPWP is re-scored, the
    reviewer's decision locks the NPWP before the `Applicant` row: released together,
    round after round, neither side fails and the NPWP has one decision, one trail."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    user = ensure_reviewer(email="rita@filot.example", password=PASSWORD)[0]
    for round_ in range(6):
        owner = api_key_applicant(f"racer-{round_}")
        nik = make_nik("3171", 1, BIRTH, female=False, serial=300 + round_)
        npwp = decide_reading(owner, npwp_reading(low=("name",), nik=nik))
        review = review_services.claim_review(review_id=npwp.manual_review.pk, user=user)

        outcomes = race_ktp_against_reviewer(owner, nik, review.pk, user, "none")  # no error: no deadlock

        assert outcomes["ktp"] == Status.AUTO_APPROVED
        npwp.refresh_from_db()
        decisions = [row for row in transitions(npwp) if row[1] in (Status.APPROVED, Status.REJECTED)]
        completed = ReviewEvent.objects.filter(review=review, action="completed")
        assert len(decisions) == 1 and completed.count() == 1
        assert completed.get().actor_kind == decisions[0][2]
        expected = Status.REJECTED if outcomes["reviewer"] == "decided" else Status.APPROVED
        assert npwp.status == expected
        assert Applicant.objects.get(user=owner).status == overall_status(user=owner)


def decisions_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("filot_decisions_total", {"outcome": outcome}) or 0.0


@pytest.mark.django_db(transaction=True)
def test_a_decision_by_the_rescore_is_counted_as_automated_not_as_a_humans(make_user, settings) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    owner = make_user("counted@example.com")
    Profile.objects.filter(user=owner).update(full_name=NAME, date_of_birth=BIRTH)
    npwp = decide_reading(owner, npwp_reading(low=("name",)))
    before = {outcome: decisions_counted(outcome) for outcome in ("approved", "auto_approved")}

    decide_reading(owner, ktp_reading())  # commits: the KTP auto-approved, then the NPWP re-scored

    npwp.refresh_from_db()
    assert npwp.status == Status.APPROVED
    assert decisions_counted("approved") - before["approved"] == 0  # no human decided
    assert decisions_counted("auto_approved") - before["auto_approved"] == 2  # the KTP and the NPWP


def test_an_npwp_whose_review_is_forwarded_to_buli2_is_rescored_but_left_to_buli2(declared, settings) -> None:
    """BULI2 holds the case (there is no withdraw call): the re-score records the new
    score, the review stays forwarded, and BULI2's decision is the one taken."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    review = ManualReview.objects.get(document=npwp)
    review.forward(buli2_review_id="buli2-case-1")
    review.save()
    decide_reading(declared, ktp_reading())  # 92 > 85: would approve it

    npwp.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.NEEDS_REVIEW, 92)
    assert transitions(npwp)[-1] == ("needs_review", "needs_review", "system")
    review.refresh_from_db()
    assert review.state == "forwarded" and review.decided_by_kind == ""
    review_services.complete_manual_review(
        review_id=review.pk, decision="reject", reason="altered_or_fake", actor=review_services.BULI2
    )
    npwp.refresh_from_db()
    assert npwp.status == Status.REJECTED
    assert [row[2] for row in transitions(npwp) if row[1] in (Status.APPROVED, Status.REJECTED)] == ["buli2"]


def test_a_redelivered_message_of_a_decided_ktp_rescores_what_a_dead_worker_left(
    declared, settings, django_capture_on_commit_callbacks
) -> None:
    """The worker committed the KTP's decision and died before its after-commit re-score
    (here: the commit hooks of a test transaction never run). The unacked message comes
    back; its duplicate changes nothing on the KTP and re-scores the waiting NPWP."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    reading = ktp_reading()
    ktp = document_row(declared, doc_type="KTP", storage_key=f"documents/{declared.pk}/{uuid.uuid4()}/a.jpeg")
    services.transition_document(
        document_id=ktp.id, apply=lambda d: d.start_processing(), actor_kind="system"
    )
    folder = ktp.storage_key.rsplit("/", 1)[0]
    key = default_storage.save(
        f"{folder}/reading.json", ContentFile(seal_for_ring(json.dumps(reading).encode()))
    )
    with transaction.atomic():  # the first delivery: decided, committed, the re-score never ran
        locked = services.lock_document(ktp.id)
        services.save_reading(document=locked, reading=reading, reading_key=key)
        evaluation = scoring.evaluate(
            reading=reading, declared_type="KTP", **services.scoring_inputs(document=locked)
        )
        services.decide_document(document=locked, evaluation=evaluation)
    npwp.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.NEEDS_REVIEW, 82)

    with django_capture_on_commit_callbacks(execute=True):  # the redelivery, committing
        assert services.ingest_reading(document_id=str(ktp.id), reading_key=key) is None

    npwp.refresh_from_db()
    assert (npwp.status, npwp.score) == (Status.APPROVED, 92)
    assert Document.objects.get(pk=ktp.id).status == Status.AUTO_APPROVED


OTHER_NIK = make_nik("3171", 1, BIRTH, female=False, serial=77)


def ktp_asked_again(owner: object) -> Document:
    """A KTP a reviewer looked at and asked a retake of: `resubmission_requested`, on file."""
    ktp = decide_reading(owner, ktp_reading(valid_until="2020-01-01"))
    user = ensure_reviewer(email="rita@filot.example", password=PASSWORD)[0]
    review = review_services.claim_review(review_id=ktp.manual_review.pk, user=user)
    review_services.request_reupload(
        review_id=review.pk, user=user, code="photo_unreadable", reason="blurred"
    )
    ktp.refresh_from_db()
    return ktp


@pytest.mark.parametrize("ktp_state", ["in review", "asked again"])
@pytest.mark.parametrize(
    ("npwp", "would_be"),
    [
        ({}, "auto_approved"),  # agrees with the KTP: 100 > 85
        ({"name": "SITI RAHMAWATI", "nik": OTHER_NIK}, "auto_rejected"),  # disagrees: 0 < 35
    ],
)
def test_a_first_npwp_score_against_a_ktp_that_has_not_passed_goes_to_a_human(
    declared, settings, ktp_state, npwp, would_be
) -> None:
    """The first decision follows the re-score's rule: a decisive score decides an NPWP
    only against a KTP that passed; against one in review or asked again a human looks,
    and the audit row and the review's trail say why."""
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    if ktp_state == "in review":
        ktp = decide_reading(declared, ktp_reading(valid_until="2020-01-01"))  # expired: 85, a human looks
    else:
        ktp = ktp_asked_again(declared)
    assert (
        ktp.status
        == {"in review": Status.NEEDS_REVIEW, "asked again": Status.RESUBMISSION_REQUESTED}[ktp_state]
    )

    document = decide_reading(declared, npwp_reading(**npwp))

    assert document.status == Status.NEEDS_REVIEW
    assert "no_ktp_on_file" not in codes(document)  # it was checked against that KTP
    assert scoring.decide(document.score, approve_above=85, reject_below=35) == would_be
    sent = DocumentTransition.objects.filter(document=document).order_by("at", "id").last()
    assert (sent.from_status, sent.to_status, sent.actor_kind) == ("ai_evaluated", "needs_review", "system")
    assert "KTP" in sent.reason and ktp.status in sent.reason and would_be in sent.reason, sent.reason
    opened = ReviewEvent.objects.get(review__document=document)
    assert opened.action == "opened" and "KTP" in opened.reason, opened.reason


def test_a_first_npwp_score_against_a_ktp_that_passed_still_decides(declared, settings) -> None:
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 85, 35
    assert decide_reading(declared, ktp_reading()).status == Status.AUTO_APPROVED
    assert decide_reading(declared, npwp_reading()).status == Status.AUTO_APPROVED
