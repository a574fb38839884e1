"""Readings and flattened cards are written once, by a conditional write on the storage
itself: of copies of one OCR message storing at the same moment, exactly one write lands
and the others take the redelivery path (the first reading stays, byte for byte).

Raced for real, threads released together by a barrier, on local media and on an
S3-compatible server (moto, which answers `If-None-Match: *` with 412 as S3 and R2 do);
its 409 ConditionalRequestConflict, which moto never sends, against a small fake.
"""

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import default_storage

from filot import sealing, write_once
from filot.write_once import create_once
from ocr_gpu.tasks import store_card_image, store_reading_once
from tests.kyc.s3_storage import Bucket, s3_compatible_storage

RACERS = 4
ROUNDS = 6


def race(writes: list[Callable[[], Any]]) -> list[Any]:
    """Each write in its own thread, all let go at the same instant; their answers."""
    start = threading.Barrier(len(writes))

    def run(write: Callable[[], Any]) -> Any:
        start.wait()
        return write()

    with ThreadPoolExecutor(len(writes)) as pool:
        return list(pool.map(run, writes))


def stored(key: str) -> bytes:
    with default_storage.open(key, "rb") as file:
        return file.read()


def landed(storage: Bucket | None, key: str) -> int:
    """How many writes landed at `key`: object versions on S3; on local media a second
    write could only have replaced the file, so one file whose bytes are a whole write."""
    if storage is not None:
        return storage.versions(key)
    folder, name = key.rsplit("/", 1)
    return default_storage.listdir(folder)[1].count(name)


@pytest.fixture(params=["local-media", "s3-compatible"])
def bucket(request, settings) -> Iterator[Bucket | None]:
    if request.param == "local-media":
        yield None
        return
    with s3_compatible_storage(settings, bucket_name="filot-write-once") as s3:
        yield s3


def test_of_copies_racing_to_store_one_reading_exactly_one_lands_and_the_rest_keep_it(
    bucket, settings, log_output
):
    for round_ in range(ROUNDS):
        key = f"documents/u/d{round_}/reading-m{round_}.json"
        readings = [
            sealing.seal(json.dumps({"copy": copy}).encode(), public_key=settings.READING_PUBLIC_KEY)
            for copy in range(RACERS)
        ]

        race([partial(store_reading_once, key, reading, document_id=f"d{round_}") for reading in readings])

        assert landed(bucket, key) == 1
        assert stored(key) in readings  # one copy's reading, whole
        kept = [line for line in log_output.getvalue().splitlines() if "ocr_reading_kept" in line]
        assert sum(key in line for line in kept) == RACERS - 1  # every other copy found it there
    assert "ocr_reading_damaged_replaced" not in log_output.getvalue()
    for round_ in range(ROUNDS):  # no second name, no temporary file left behind
        assert default_storage.listdir(f"documents/u/d{round_}")[1] == [f"reading-m{round_}.json"]


def test_a_reading_already_there_stays_byte_for_byte_and_a_later_copy_writes_nothing(
    bucket, settings, log_output
):
    key = "documents/u/d/reading-m.json"
    first, later = (
        sealing.seal(json.dumps({"copy": copy}).encode(), public_key=settings.READING_PUBLIC_KEY)
        for copy in ("first", "later")
    )
    store_reading_once(key, first, document_id="d")

    store_reading_once(key, later, document_id="d")

    assert stored(key) == first
    assert landed(bucket, key) == 1
    assert "ocr_reading_kept" in log_output.getvalue()


def test_a_damaged_leftover_of_an_older_in_place_write_is_replaced(bucket, settings, log_output):
    key = "documents/u/d/reading-m.json"
    assert create_once(key, b'{"sealed": "filot-reading-v1", "key_id"')  # cut short
    reading = sealing.seal(b"{}", public_key=settings.READING_PUBLIC_KEY)

    store_reading_once(key, reading, document_id="d")

    assert stored(key) == reading
    assert "ocr_reading_damaged_replaced" in log_output.getvalue()


def test_copies_racing_to_store_one_flattened_card_all_name_the_one_that_landed(bucket):
    for round_ in range(ROUNDS):
        reading_key = f"documents/u/d{round_}/reading-m{round_}.json"
        cards = [np.full((60, 90, 3), 40 * copy, dtype=np.uint8) for copy in range(RACERS)]

        keys = race([partial(store_card_image, card, reading_key) for card in cards])

        card_key = f"documents/u/d{round_}/card-m{round_}.jpeg"
        assert keys == [card_key] * RACERS  # every copy's reading points at the same card
        assert landed(bucket, card_key) == 1
        assert default_storage.listdir(f"documents/u/d{round_}")[1] == [f"card-m{round_}.jpeg"]


def test_on_local_media_a_reader_never_sees_a_half_written_file():
    key = "documents/u/d/reading-m.json"
    copies = [bytes([copy]) * 8_000_000 for copy in range(3)]
    seen: set[int] = set()
    done = threading.Event()

    def read_while_written() -> None:
        while not done.is_set():
            if default_storage.exists(key):
                seen.add(len(stored(key)))

    reader = threading.Thread(target=read_while_written)
    reader.start()
    try:
        won = race([partial(create_once, key, copy) for copy in copies])
    finally:
        done.set()
        reader.join()

    assert won.count(True) == 1
    assert stored(key) == copies[won.index(True)]
    assert seen <= {8_000_000}


class FakeS3(BaseHTTPRequestHandler):
    """Answers each PUT with the next status of `answers` (S3's XML error body)."""

    protocol_version = "HTTP/1.1"
    answers: list[tuple[int, str]] = []
    requests: list[dict[str, str]] = []

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).requests.append(dict(self.headers))
        status, code = type(self).answers.pop(0)
        body = f"<Error><Code>{code}</Code><Message>fake</Message></Error>".encode() if code else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_s3(settings) -> Iterator[type[FakeS3]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeS3.answers, FakeS3.requests = [], []
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": f"http://127.0.0.1:{server.server_port}",
                "access_key": "test-access-key",
                "secret_key": "test-secret-key",
                "bucket_name": "filot-fake",
                "region_name": "auto",
                "signature_version": "s3v4",
                "default_acl": "private",
            },
        },
    }
    try:
        yield FakeS3
    finally:
        server.shutdown()
        server.server_close()


def test_on_s3_a_conflicting_write_in_flight_is_retried_until_its_outcome_is_known(fake_s3):
    fake_s3.answers = [(409, "ConditionalRequestConflict"), (409, "ConditionalRequestConflict"), (200, "")]
    assert create_once("documents/u/d/reading-m.json", b"sealed") is True

    fake_s3.answers = [(409, "ConditionalRequestConflict"), (412, "PreconditionFailed")]
    assert create_once("documents/u/d/reading-m.json", b"sealed") is False

    assert len(fake_s3.requests) == 5
    assert all(request["If-None-Match"] == "*" for request in fake_s3.requests)
    assert all(request["x-amz-acl"] == "private" for request in fake_s3.requests)


def test_on_s3_a_conflict_that_does_not_settle_is_an_error_for_the_actors_retry(fake_s3):
    fake_s3.answers = [(409, "ConditionalRequestConflict")] * write_once.CONFLICT_ATTEMPTS

    with pytest.raises(ClientError):
        create_once("documents/u/d/reading-m.json", b"sealed")

    assert len(fake_s3.requests) == write_once.CONFLICT_ATTEMPTS

    fake_s3.answers, fake_s3.requests = [(409, "OperationAborted")], []  # another 409: not retried
    with pytest.raises(ClientError):
        create_once("documents/u/d/reading-m.json", b"sealed")
    assert len(fake_s3.requests) == 1
