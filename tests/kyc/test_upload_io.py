"""An upload's I/O before its response: the stored image and its rows; sending it to
OCR happens once the response is written (the WSGI server's close())."""

import datetime as dt
import io
import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.client import FakePayload, encode_multipart
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from kyc.models import Document
from kyc.services import reap_stuck_documents

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


def statements(captured: CaptureQueriesContext) -> list[str]:
    """What a capture ran, transaction control aside."""
    return [query["sql"] for query in captured.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]


def test_an_upload_answers_before_it_is_sent_to_ocr(alice, ktp_jpeg):
    with CaptureQueriesContext(connection) as before_response:
        started, response = wsgi_upload(alice, ktp_jpeg)
    assert started == ["201 Created"]
    document = Document.objects.get()
    assert (document.status, document.dispatched_at) == ("uploaded", None)
    before = statements(before_response)
    writes = [sql for sql in before if sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert [re.match(r'(\w+ \w+ "\w+")', sql).group(1) for sql in writes] == [
        'INSERT INTO "kyc_document"',
        'INSERT INTO "kyc_documenttransition"',
    ]
    # The user (JWT), one look-up for a repeated upload, and the account's row lock (an
    # erasure racing the upload waits for it), which also says whether the account is an
    # integrator's applicant: no `Applicant` row looked for at each transition.
    selects = [re.findall(r'FROM "(\w+)"', sql)[-1] for sql in before if sql.startswith("SELECT")]
    assert sorted(selects) == ["kyc_document", "kyc_user", "kyc_user"], before
    assert len(before) == 5, before
    assert [sql for sql in before if sql.endswith("FOR NO KEY UPDATE")] == [before[2]]

    with CaptureQueriesContext(connection) as after_response:
        response.close()  # what gunicorn does once the last byte is written
    document.refresh_from_db()
    assert document.status == "processing"
    assert document.dispatched_at is not None
    assert [t.to_status for t in document.transitions.order_by("at", "id")] == ["uploaded", "processing"]
    # The row in hand is not read again: its start is an UPDATE that matches only while it
    # is still `uploaded`, writing what the start changed; then its audit row, and the
    # note that its message is on the broker.
    start, audit, dispatched = statements(after_response)
    shape = re.sub(r"'[^']*'::\w+", "?", start)  # the times and the id, as literals
    assert shape == (
        'UPDATE "kyc_document" SET "status" = \'processing\', "attempts" = 1, "updated_at" = ?, '
        '"processing_started_at" = ? '
        'WHERE ("kyc_document"."status" = \'uploaded\' AND "kyc_document"."id" = ?)'
    ), start
    assert audit.startswith('INSERT INTO "kyc_documenttransition"')
    assert dispatched.startswith('UPDATE "kyc_document" SET "dispatched_at"')


def test_an_upload_the_reaper_started_before_its_response_closed_is_started_once(alice, ktp_jpeg):
    started, response = wsgi_upload(alice, ktp_jpeg)
    assert started == ["201 Created"]
    document = Document.objects.get()
    # Past the grace, as if this process had stalled after its response: the reaper starts it.
    reap_stuck_documents(now=timezone.now() + dt.timedelta(hours=1))

    response.close()  # the upload's own start then finds it started and changes nothing

    document.refresh_from_db()
    assert (document.status, document.attempts) == ("processing", 1)
    assert document.dispatched_at is not None
    trail = [(t.from_status, t.to_status, t.actor_id) for t in document.transitions.order_by("at", "id")]
    assert trail == [("", "uploaded", str(alice.id)), ("uploaded", "processing", "reaper")]


def test_a_repeated_upload_answers_the_same_document_without_writing(alice, ktp_jpeg):
    first_status, first = wsgi_upload(alice, ktp_jpeg)
    first.close()
    with CaptureQueriesContext(connection) as queries:
        started, again = wsgi_upload(alice, ktp_jpeg)
    again.close()
    assert (first_status, started) == (["201 Created"], ["200 OK"])
    assert Document.objects.count() == 1
    assert not [query for query in queries.captured_queries if query["sql"].startswith(("INSERT", "UPDATE"))]
