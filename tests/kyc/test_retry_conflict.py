"""Restarting a failed document whose image was uploaded again meanwhile.

The same bytes may have one active document per applicant (a partial unique
constraint). A failed document is not active, so the applicant may upload its image
again; restarting the failed one then would make two: the restart answers 409 in the
JSON error shape, pointing at the active document, and changes nothing. Racing (the
restart against the re-upload, or two restarts of two failed twins) never answers 500
and never leaves two active documents.
"""

import threading

import pytest
from django.db import connection

from kyc.models import ACTIVE_STATUSES, Document, DocumentTransition, Status
from kyc.services import transition_document
from tests.conftest import client_for
from tests.kyc.uploads import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)
EVALUATE = "/api/v1/verification/evaluate"


def upload(api, jpeg: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("card.jpg", jpeg, content_type="image/jpeg")
    return api.post(
        "/api/v1/documents", {"doc_type": "KTP", "file": file, "consent": "true"}, format="multipart"
    )


def failed_document(api, jpeg: bytes) -> Document:
    response = upload(api, jpeg)
    assert response.status_code == 201, response.content
    document = Document.objects.get(pk=response.json()["id"])
    if document.status == Status.UPLOADED:  # not started after the response (no WSGI server here)
        transition_document(
            document_id=document.id, apply=lambda d: d.start_processing(), actor_kind="system"
        )
    transition_document(document_id=document.id, apply=lambda d: d.fail("unreadable"), actor_kind="system")
    return Document.objects.get(pk=document.id)


def snapshot(document_id) -> tuple:
    document = Document.objects.get(pk=document_id)
    transitions = DocumentTransition.objects.filter(document_id=document_id).count()
    return document.status, document.attempts, document.updated_at, transitions


def assert_conflict_points_at(response, active_id) -> None:
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] == "conflict"
    assert error["details"] == {"active_document_id": str(active_id)}


@pytest.mark.django_db  # no threads here: the test's transaction is enough (and quicker)
def test_restarting_a_failed_document_whose_image_is_active_again_is_409_and_changes_nothing(
    alice, alice_api
):
    jpeg = image_bytes(color="teal")
    first = failed_document(alice_api, jpeg)
    again = upload(alice_api, jpeg)
    assert again.status_code == 201 and again.json()["id"] != str(first.id)
    before = snapshot(first.id), snapshot(again.json()["id"])

    response = alice_api.post(EVALUATE, {"document_id": str(first.id)}, format="json")

    assert_conflict_points_at(response, again.json()["id"])
    assert (snapshot(first.id), snapshot(again.json()["id"])) == before


def race(*calls):
    start, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            start.wait()
            answers[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def active(owner, jpeg_document: Document) -> list[str]:
    same = Document.objects.filter(owner=owner, sha256=jpeg_document.sha256, status__in=ACTIVE_STATUSES)
    return [str(pk) for pk in same.values_list("id", flat=True)]


def test_a_restart_racing_the_re_upload_of_its_image_leaves_one_active_document(alice):
    for round_ in range(3):
        jpeg = image_bytes(color=("navy", "olive", "maroon")[round_])
        first = failed_document(client_for(alice), jpeg)
        restart, reupload = race(
            lambda id_=first.id: client_for(alice).post(EVALUATE, {"document_id": str(id_)}, format="json"),
            lambda jpeg=jpeg: upload(client_for(alice), jpeg),
        )
        [only] = active(alice, first)
        if restart.status_code == 202:  # the restart won: the upload answers its document
            assert only == str(first.id)
            assert reupload.status_code == 200 and reupload.json()["id"] == only
        else:  # the upload won: the restart points at it, and the first stays failed
            assert reupload.status_code == 201 and reupload.json()["id"] == only
            assert_conflict_points_at(restart, only)
            assert Document.objects.get(pk=first.id).status == Status.FAILED


def test_two_failed_twins_restarted_at_once_make_one_active_document(alice, alice_api):
    jpeg = image_bytes(color="coral")
    first = failed_document(alice_api, jpeg)
    second = failed_document(alice_api, jpeg)  # uploaded again once the first had failed, failed too
    answers = race(
        *(
            lambda id_=document.id: client_for(alice).post(EVALUATE, {"document_id": str(id_)}, format="json")
            for document in (first, second)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [202, 409]
    [only] = active(alice, first)
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert_conflict_points_at(refused, only)
    loser = ({str(first.id), str(second.id)} - {only}).pop()
    assert Document.objects.get(pk=loser).status == Status.FAILED
    assert DocumentTransition.objects.filter(document_id=loser, to_status=Status.PROCESSING).count() == 1
