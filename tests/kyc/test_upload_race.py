"""The same bytes uploaded by one applicant in parallel make exactly one document."""

import io
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from kyc.models import Document
from tests.conftest import client_for
from tests.kyc.uploads import image_bytes


@pytest.mark.django_db(transaction=True)
def test_five_parallel_uploads_of_the_same_bytes_make_one_document(alice, settings):
    settings.UPLOAD_RATE_LIMIT = "100/h"
    content = image_bytes(size=(900, 570))
    start = threading.Barrier(5)
    answers: list = []

    def upload() -> None:
        try:
            client: APIClient = client_for(alice)
            file = io.BytesIO(content)
            file.name = "card.jpg"
            start.wait()
            answers.append(
                client.post(
                    "/api/v1/documents",
                    {"doc_type": "KTP", "consent": "true", "file": file},
                    format="multipart",
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Document.objects.filter(owner=alice).count() == 1
    document = Document.objects.get(owner=alice)
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 200, 201]
    assert {answer.json()["id"] for answer in answers} == {str(document.id)}
    # The losers' images went with their rows: one image in storage.
    images = [
        path for path in (settings.MEDIA_ROOT / "documents" / str(alice.id)).rglob("*") if path.is_file()
    ]
    assert [path.parent.name for path in images] == [str(document.id)]
