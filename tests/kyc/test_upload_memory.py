"""Upload memory: eight concurrent uploads of photos at the size and pixel limits add at
most 300 MB to the web process (a 2 GiB Fargate task runs two of them).

Measured on a real gunicorn process (one worker, eight threads), by sampling its RSS
while the uploads run.
"""

import io
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from cardgen.cards import render_card
from kyc.models import Document
from tests.stack import LocalStack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MB = 1024 * 1024


def photo_at_the_limits() -> bytes:
    """A card photographed at 40 MP (the pixel limit), as a JPEG just under 2 MiB."""
    _, jpeg = render_card(4242, 0)
    with Image.open(io.BytesIO(jpeg)) as card:
        width = int((settings.DOCUMENT_MAX_PIXELS * 4 / 3) ** 0.5)
        big = card.convert("RGB").resize((width, settings.DOCUMENT_MAX_PIXELS // width), Image.BILINEAR)
    for quality in (80, 70, 60, 50):
        buffer = io.BytesIO()
        big.save(buffer, "JPEG", quality=quality)
        if len(buffer.getvalue()) <= settings.DOCUMENT_MAX_BYTES - 100:
            return buffer.getvalue()
    raise AssertionError("could not make a photo within the byte limit")


def variant(jpeg: bytes, index: int) -> bytes:
    """The same photo with its own comment segment: other bytes, so another document."""
    comment = f"photo {index}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def gunicorn_worker(master_pid: int) -> int:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@pytest.fixture
def stack(tmp_path):
    stack = LocalStack(tmp_path / "stack")
    stack.start_redis()
    stack.start_web(threads=8)
    yield stack
    stack.stop()


def peak_growth_of_eight_concurrent_uploads(stack, photo: bytes) -> tuple[int, list]:
    """The web worker's peak RSS growth while eight variants of `photo` upload at once
    (after one warm-up upload), and the eight documents' ids."""
    applicant = stack.applicant("memory@example.com")
    stack.upload(applicant, variant(photo, 0))  # warm: Pillow, the views and their caches loaded
    pid = gunicorn_worker(stack.web.pid)
    baseline = rss_bytes(pid)

    peak, done = [baseline], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    ids, errors = [], []

    def upload(index: int) -> None:
        try:
            ids.append(stack.upload(applicant, variant(photo, index)))
        except Exception as error:  # reported below, with the others
            errors.append(error)

    uploads = [threading.Thread(target=upload, args=(index,)) for index in range(1, 9)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join(timeout=120)
    done.set()
    sampler.join()

    assert errors == [] and len(set(ids)) == 8
    growth = peak[0] - baseline
    print(f"web RSS: baseline {baseline / MB:.0f} MB, peak {peak[0] / MB:.0f} MB, growth {growth / MB:.0f}")
    return growth, ids


def test_eight_concurrent_uploads_at_the_limits_add_at_most_300_mb(stack):
    photo = photo_at_the_limits()
    with Image.open(io.BytesIO(photo)) as header:
        assert header.width * header.height <= settings.DOCUMENT_MAX_PIXELS
        assert header.width * header.height > 0.95 * settings.DOCUMENT_MAX_PIXELS
    assert len(photo) <= settings.DOCUMENT_MAX_BYTES

    growth, ids = peak_growth_of_eight_concurrent_uploads(stack, photo)

    assert growth <= 300 * MB
    # Stored at reduced scale, still a card big enough to read.
    long_sides = [max(document.width, document.height) for document in Document.objects.filter(pk__in=ids)]
    assert min(long_sides) >= settings.DOCUMENT_DECODE_LONG_SIDE


def progressive_photo_kept_as_it_is() -> bytes:
    """The largest progressive JPEG stored without re-encoding (long side just under
    twice DOCUMENT_DECODE_LONG_SIDE), colour at 4:4:4: libjpeg holds its full-size
    coefficients (~216 MB) while its scans are checked at 1/8 scale."""
    _, jpeg = render_card(4243, 0)
    side = 2 * settings.DOCUMENT_DECODE_LONG_SIDE - 1
    with Image.open(io.BytesIO(jpeg)) as card:
        big = card.convert("RGB").resize((side, side * 5 // 8), Image.BILINEAR)
    for quality in (60, 45, 30, 20):
        buffer = io.BytesIO()
        big.save(buffer, "JPEG", quality=quality, progressive=True, subsampling=0)
        if len(buffer.getvalue()) <= settings.DOCUMENT_MAX_BYTES - 100:
            return buffer.getvalue()
    raise AssertionError("could not make a photo within the byte limit")


def test_eight_concurrent_large_progressive_uploads_add_at_most_300_mb(stack):
    photo = progressive_photo_kept_as_it_is()
    assert len(photo) <= settings.DOCUMENT_MAX_BYTES

    growth, ids = peak_growth_of_eight_concurrent_uploads(stack, photo)

    assert growth <= 300 * MB
    # Kept as it is (not re-encoded): full size, the upload's own scans.
    sizes = {(document.width, document.height) for document in Document.objects.filter(pk__in=ids)}
    side = 2 * settings.DOCUMENT_DECODE_LONG_SIDE - 1
    assert sizes == {(side, side * 5 // 8)}
