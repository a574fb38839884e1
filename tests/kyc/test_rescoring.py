"""An NPWP sent to a human before the applicant's KTP arrived is re-scored against it."""

import threading

import pytest
from django.db import connection

from idnumbers.nik import make_nik
from kyc.models import DocumentTransition, Profile, Status
from tests.kyc.decided import BIRTH, NAME, decide_reading, ktp_reading, npwp_reading


@pytest.fixture
def declared(alice):
    Profile.objects.filter(user=alice).update(full_name=NAME, date_of_birth=BIRTH)
    return alice


def codes(document: object) -> set[str]:
    return {reason["code"] for reason in document.reasons}


def test_an_npwp_waiting_for_review_is_rescored_when_the_ktp_arrives(declared) -> None:
    # Low confidence on the name (-8) and no KTP on file (-10): 82, a human looks.
    npwp = decide_reading(declared, npwp_reading(low=("name",)))
    assert npwp.status == Status.NEEDS_REVIEW and npwp.score == 82
    assert "no_ktp_on_file" in codes(npwp)

    ktp = decide_reading(declared, ktp_reading())
    assert ktp.status == Status.AUTO_APPROVED

    npwp.refresh_from_db()
    assert npwp.status == Status.NEEDS_REVIEW  # the human already asked still decides
    assert npwp.score == 92
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
