"""After full pipeline runs, the NIKs of the test cards are nowhere in the clear: not in
storage, not in the logs, not in Redis (queues, dead letters, results, rate limits)."""

import json
import time

import dramatiq
import pytest
import redis

from kyc import services
from kyc.models import OcrResult, Status
from tests.factories import document_row
from tests.kyc.s3_storage import s3_compatible_storage
from tests.kyc.test_pipeline import clean_card, declare, upload, wait_settled

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def redis_text(client: redis.Redis) -> bytes:
    """Every key and value of the suite's Redis database, whatever its type."""
    dumped = []
    for key in client.scan_iter(count=500):
        kind = client.type(key)
        if kind == b"string":
            value = [client.get(key)]
        elif kind == b"hash":
            value = [item for pair in client.hgetall(key).items() for item in pair]
        elif kind == b"list":
            value = client.lrange(key, 0, -1)
        elif kind == b"set":
            value = list(client.smembers(key))
        elif kind == b"zset":
            value = client.zrange(key, 0, -1)
        elif kind == b"stream":
            value = [json.dumps(entry, default=str).encode() for entry in client.xrange(key)]
        else:
            value = []
        dumped.extend([key, *[item or b"" for item in value]])
    return b"\n".join(dumped)


@pytest.fixture(params=["local-media", "s3-compatible"])
def stored_bytes(request, settings):
    """The storage the pipeline runs on, and a reader of every byte it holds: the local
    media folder, or an S3-compatible server on 127.0.0.1 (moto) as R2 is in production."""
    if request.param == "local-media":
        yield lambda: b"\n".join(
            path.read_bytes() for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()
        )
        return
    with s3_compatible_storage(settings) as bucket:

        def read_bucket() -> bytes:
            keys = bucket.keys()
            assert any("/reading-" in key for key in keys)
            return b"\n".join(bucket.read(key) for key in keys)

        yield read_bucket


def test_no_card_nik_in_storage_logs_redis_or_dead_letters_after_the_pipeline(
    worker, alice_api, bob_api, bob, log_output, settings, stored_bytes
):
    settings.OCR_GPU_MAX_RETRIES = 0
    settings.OCR_RETRY_MIN_BACKOFF_MS = settings.OCR_RETRY_MAX_BACKOFF_MS = 200
    ktp, ktp_jpeg = clean_card("KTP")
    npwp, npwp_jpeg = clean_card("NPWP")
    declare(alice_api, ktp)
    approved = wait_settled(upload(alice_api, ktp_jpeg))
    reviewed = wait_settled(upload(alice_api, npwp_jpeg, "NPWP"))
    other = wait_settled(upload(bob_api, ktp_jpeg))  # the same NIK on another account
    broken = document_row(bob)  # nothing stored: the OCR fails, its message is dead-lettered
    services.start_kyc_workflow(document_id=broken.id)
    wait_settled(str(broken.id), timeout=60)
    broker = dramatiq.get_broker()
    deadline = time.monotonic() + 20
    while not broker.client.hlen(f"{broker.namespace}:ocr-gpu.XQ.msgs") and time.monotonic() < deadline:
        time.sleep(0.2)

    assert approved.status == Status.AUTO_APPROVED
    assert OcrResult.objects.get(document=approved).fields["nik"] == ktp.fields["nik"]  # it was read
    assert {reviewed.status, other.status} <= {*Status}
    assert broker.client.hlen(f"{broker.namespace}:ocr-gpu.XQ.msgs") >= 1  # dead letters exist
    niks = {ktp.fields["nik"], npwp.fields.get("nik", "")} - {""}  # an NPWP16 card prints no separate NIK
    places = {
        "storage": stored_bytes(),
        "logs": log_output.getvalue().encode(),
        "redis": redis_text(redis.Redis.from_url(settings.REDIS_URL)),
    }
    assert all(places.values())
    for nik in niks:
        for place, content in places.items():
            assert nik.encode() not in content, f"the NIK of a test card is in the clear in {place}"
