"""The hot reads: the same JSON as their serializers (the schema), in a constant number
of queries however long the timeline or the list."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from kyc.api import DocumentOutput, StatusOutput
from kyc.models import ActorKind, Document, DocumentTransition, OcrResult, Status
from tests.factories import document_row

pytestmark = pytest.mark.django_db

PATH = [
    ("", Status.UPLOADED), (Status.UPLOADED, Status.PROCESSING), (Status.PROCESSING, Status.OCR_COMPLETED),
    (Status.OCR_COMPLETED, Status.AI_EVALUATED), (Status.AI_EVALUATED, Status.NEEDS_REVIEW),
    (Status.NEEDS_REVIEW, Status.APPROVED),
]  # fmt: skip
REASONS = [{"code": "name_matches", "effect": 20, "message": "The name matches the profile."}]


def document_with(owner: object, steps: int, *, reading: dict | None = None) -> Document:
    document = document_row(owner, status=PATH[steps - 1][1], score=91 if steps > 3 else None,
                            reasons=REASONS if steps > 3 else [])  # fmt: skip
    start = timezone.now() - dt.timedelta(minutes=5)
    for index, (source, target) in enumerate(PATH[:steps]):
        DocumentTransition.objects.create(
            document=document, from_status=source, to_status=target, at=start + dt.timedelta(seconds=index),
            actor_kind=ActorKind.SYSTEM, reason=f"step {index}",
        )  # fmt: skip
    if reading is not None:
        OcrResult.objects.create(document=document, doc_type="KTP", fields=reading, reading_key="r.json")
    return document


def rendered(data: object) -> object:
    import json

    return json.loads(JSONRenderer().render(data))


def old_status(document: Document) -> dict:
    return rendered(StatusOutput({
        "id": document.id, "status": document.status, "score": document.score,
        "decision": document.status if document.is_terminal else None, "reasons": document.reasons,
        "timeline": document.transitions.order_by("at", "id"),
    }).data)  # fmt: skip


def test_status_answers_what_its_serializer_describes_with_the_whole_timeline(alice_api, alice):
    for steps in (1, 3, 6):
        document = document_with(alice, steps)
        response = alice_api.get(f"/api/v1/verification/status/{document.id}")
        assert response.status_code == 200
        assert response.json() == old_status(document)
        assert [row["reason"] for row in response.json()["timeline"]] == [f"step {i}" for i in range(steps)]
    assert response.json()["decision"] == "approved"
    assert response.json()["timeline"][0]["at"].endswith("+07:00")  # Asia/Jakarta, as DRF formats it


def test_status_of_a_document_without_transitions_has_an_empty_timeline(alice_api, alice):
    document = document_row(alice)
    response = alice_api.get(f"/api/v1/verification/status/{document.id}")
    assert response.status_code == 200
    assert response.json()["timeline"] == [] == old_status(document)["timeline"]


def test_status_of_another_users_document_is_404(bob_api, alice):
    document = document_with(alice, 6)
    response = bob_api.get(f"/api/v1/verification/status/{document.id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def queries(api: object, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


def test_status_costs_the_same_queries_for_one_transition_as_for_six(alice_api, alice):
    short, long = document_with(alice, 1), document_with(alice, 6)
    queries(alice_api, f"/api/v1/verification/status/{short.id}")  # warm: savepoints, content types
    one = queries(alice_api, f"/api/v1/verification/status/{short.id}")
    assert one == queries(alice_api, f"/api/v1/verification/status/{long.id}")
    assert one <= 2  # the user (JWT) and the document with its timeline


def test_detail_and_list_answer_what_their_serializer_describes(alice_api, alice):
    reading = {"nik": "3171011708900001", "npwp": "092542944070000", "name": "BUDI SANTOSO"}
    documents = [document_with(alice, 6, reading=reading), document_with(alice, 2), document_row(alice)]
    for document in documents:
        expected = rendered(DocumentOutput(Document.objects.get(pk=document.pk)).data)
        assert alice_api.get(f"/api/v1/documents/{document.id}").json() == expected
    listed = alice_api.get("/api/v1/documents").json()["results"]
    assert listed == rendered(DocumentOutput(Document.objects.filter(owner=alice), many=True).data)
    assert listed[-1]["fields"] == {
        "nik": "3171********0001",
        "npwp": "0925*******0000",
        "name": "BUDI SANTOSO",
    }


def test_detail_and_list_cost_the_same_queries_however_many_documents(alice_api, alice):
    first = document_with(alice, 6, reading={"name": "BUDI SANTOSO"})
    queries(alice_api, f"/api/v1/documents/{first.id}")
    assert queries(alice_api, f"/api/v1/documents/{first.id}") <= 2  # the user, the document and reading
    few = queries(alice_api, "/api/v1/documents")
    for _ in range(5):
        document_with(alice, 3, reading={"name": "BUDI SANTOSO"})
    assert queries(alice_api, "/api/v1/documents") == few <= 2  # the user, the page with its total


def test_the_list_pages_like_drfs_page_number_pagination(alice_api, bob_api, alice):
    made = [document_row(alice) for _ in range(5)]
    ids = [str(document.id) for document in made]  # newest first, once dated below (auto_now_add)
    for index, document in enumerate(made):
        Document.objects.filter(pk=document.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=index)
        )
    base = "http://testserver/api/v1/documents"
    first = alice_api.get("/api/v1/documents?page_size=2").json()
    assert (first["count"], first["previous"], first["next"]) == (5, None, f"{base}?page=2&page_size=2")
    assert [row["id"] for row in first["results"]] == ids[:2]
    second = alice_api.get("/api/v1/documents?page=2&page_size=2").json()
    assert (second["previous"], second["next"]) == (f"{base}?page_size=2", f"{base}?page=3&page_size=2")
    last = alice_api.get("/api/v1/documents?page=3&page_size=2").json()
    assert (last["next"], [row["id"] for row in last["results"]]) == (None, ids[4:])
    beyond = alice_api.get("/api/v1/documents?page=4&page_size=2")
    assert beyond.status_code == 404
    assert beyond.json()["error"]["message"] == "Invalid page."
    assert bob_api.get("/api/v1/documents").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert bob_api.get("/api/v1/documents?page=2").status_code == 404
    assert alice_api.get("/api/v1/documents?page=18279674815235206441598976").status_code == 404
    assert alice_api.get("/api/v1/documents?page=0").status_code == 400
