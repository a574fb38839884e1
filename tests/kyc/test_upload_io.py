"""An upload's I/O before its response: the stored image and its rows; sending it to
OCR happens once the response is written (the WSGI server's close())."""

import io
import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.client import FakePayload, encode_multipart
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from kyc.models import Document

pytestmark = pytest.mark.django_db(transaction=True)
BOUNDARY = "BoUnDaRyFiLoT"


def wsgi_upload(user: object, jpeg: bytes) -> tuple[list, object]:
    body = encode_multipart(BOUNDARY, {"doc_type": "KTP", "consent": "true", "file": io.BytesIO(jpeg)})
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/documents", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": FakePayload(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(user)}", "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    started = []
    response = WSGIHandler()(environ, lambda status, headers: started.append(status))
    return started, response


def test_an_upload_answers_before_it_is_sent_to_ocr(alice, ktp_jpeg):
    with CaptureQueriesContext(connection) as before_response:
        started, response = wsgi_upload(alice, ktp_jpeg)
    assert started == ["201 Created"]
    document = Document.objects.get()
    assert (document.status, document.dispatched_at) == ("uploaded", None)
    statements = [query["sql"] for query in before_response.captured_queries]
    writes = [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert [re.match(r'(\w+ \w+ "\w+")', sql).group(1) for sql in writes] == [
        'INSERT INTO "kyc_document"',
        'INSERT INTO "kyc_documenttransition"',
    ]
    # The user (JWT), one look-up for a repeated upload, the account's row lock (an
    # erasure racing the upload waits for it) and the applicant's (its overall status).
    selects = [re.search(r'FROM "(\w+)"', sql).group(1) for sql in statements if sql.startswith("SELECT")]
    assert sorted(selects) == ["kyc_applicant", "kyc_document", "kyc_user", "kyc_user"], statements
    response.close()  # what gunicorn does once the last byte is written
    document.refresh_from_db()
    assert document.status == "processing"
    assert document.dispatched_at is not None
    assert [t.to_status for t in document.transitions.order_by("at", "id")] == ["uploaded", "processing"]


def test_a_repeated_upload_answers_the_same_document_without_writing(alice, ktp_jpeg):
    first_status, first = wsgi_upload(alice, ktp_jpeg)
    first.close()
    with CaptureQueriesContext(connection) as queries:
        started, again = wsgi_upload(alice, ktp_jpeg)
    again.close()
    assert (first_status, started) == (["201 Created"], ["200 OK"])
    assert Document.objects.count() == 1
    assert not [query for query in queries.captured_queries if query["sql"].startswith(("INSERT", "UPDATE"))]
