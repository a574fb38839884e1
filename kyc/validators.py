"""Strict validation of an uploaded identity-document image, and its normalized copy.

The type comes from the bytes alone (never the client's name or content type), the
container is parsed to its end so nothing can hide after the image, the pixels are
decoded under a pixel limit, and the stored copy is upright and without metadata
(EXIF with GPS, XMP, ICC, comments, PNG text, appended pictures). A JPEG that is
already upright, at a size kept as it is and in plain colours is stored as its own
image segments only (the quantization and Huffman tables its scans use, frame, scans:
every other segment and table dropped, the scans copied byte for byte), and those stored bytes are what is
decoded (every scan, at 1/8 scale: `_entropy_decoded`); any other image is fully
decoded and re-encoded from its pixels.
"""

import contextlib
import ctypes
import hashlib
import io
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import ExifTags, Image, ImageFile, ImageOps

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_MESSAGES = {
    "empty_file": "The file is empty.",
    "file_too_large": "The file is larger than %(limit)s bytes.",
    "unsupported_type": "Only JPEG, PNG and WebP images are accepted.",
    "polyglot": "The file carries data after the end of the image; upload the photo alone.",
    "corrupt_image": "The image is damaged or incomplete and cannot be read.",
    "too_many_pixels": "The image has more than %(limit)s pixels.",
    "too_small": "The image must be at least %(min_width)s x %(min_height)s pixels.",
}


@dataclass(frozen=True, slots=True)
class NormalizedImage:
    content: bytes  # the normalized copy, the only bytes ever stored
    sha256: str  # hex digest of the original upload
    size: int  # byte length of the original upload
    detected_type: str  # "jpeg" | "png" | "webp"
    width: int  # of the normalized (upright) copy
    height: int
    extension: str  # without the dot: "jpg" | "png" | "webp"
    content_type: str


@dataclass(frozen=True, slots=True)
class _Format:
    pillow_format: str
    extension: str
    content_type: str
    save_options: dict[str, Any]


_FORMATS = {
    # No optimize passes: they shrink the file a few per cent for twice the encoding time.
    "jpeg": _Format("JPEG", "jpg", "image/jpeg", {"quality": 92}),
    "png": _Format("PNG", "png", "image/png", {}),
    "webp": _Format("WEBP", "webp", "image/webp", {"quality": 92, "method": 4}),
}


# What an upload may arrive as: Django's uploaded file, an open binary file, or bytes.
Upload = UploadedFile | IO[bytes] | bytes


def validate_and_normalize(upload: Upload) -> NormalizedImage:
    """Check an upload and return its normalized copy, or raise `ValidationError`
    with one of the codes in `_MESSAGES`."""
    limits = _Limits.from_settings()
    data = _read_limited(upload, limits.max_bytes)
    detected_type = _detect_type(data)
    _check_container(data, detected_type)
    fmt = _FORMATS[detected_type]
    with _decoding(limits):
        with Image.open(io.BytesIO(data), formats=[fmt.pillow_format]) as image:
            _check_dimensions(*image.size, limits=limits)  # from the header: nothing decoded yet
            kept = _kept_jpeg(data, image, limits.decode_long_side)
            if kept is None:
                content, width, height = _decoded_and_reencoded(image, detected_type, limits)
        if kept is not None:
            content, (width, height) = kept, _entropy_decoded(kept, image.mode, image.size)
    return NormalizedImage(
        content=content,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        detected_type=detected_type,
        width=width,
        height=height,
        extension=fmt.extension,
        content_type=fmt.content_type,
    )


def _decoded_and_reencoded(
    image: Image.Image, detected_type: str, limits: "_Limits"
) -> tuple[bytes, int, int]:
    coefficients = _coefficient_bytes(image)  # at full size: before any reduction
    _reduce_on_decode(image, limits.decode_long_side)
    with decode_budget.held(_decoded_bytes(image) + coefficients):
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # a copy only when it must turn
        content = _encode(image, detected_type)
        width, height = image.size
        image.close()  # the pixels go now, before the next decode may start
    return content, width, height


def _entropy_decoded(content: bytes, mode: str, size: tuple[int, int]) -> tuple[int, int]:
    """Decode every scan of the bytes to be stored, under the decode budget; they must
    read as the upload's own header said (mode and size), else they are refused.

    At 1/8 scale: libjpeg still reads every coefficient of every block of every scan
    (its Huffman decoding is the same), but computes one pixel per block instead of
    64. A damaged or truncated scan fails exactly as it fails a full-size decode
    (tests/kyc/test_validators.py holds the two equal on damaged cards); the OCR
    workers decode the stored copy at full size later."""
    with Image.open(io.BytesIO(content), formats=["JPEG"]) as stored:
        if (stored.mode, stored.size) != (mode, size):
            raise _refusal("corrupt_image")
        coefficients = _coefficient_bytes(stored)
        stored.draft(stored.mode, (max(1, stored.width // 8), max(1, stored.height // 8)))
        with decode_budget.held(_decoded_bytes(stored) + coefficients):
            stored.load()
            stored.close()
    return size


@dataclass(frozen=True, slots=True)
class _Limits:
    max_bytes: int
    max_pixels: int
    min_width: int
    min_height: int
    decode_long_side: int

    @classmethod
    def from_settings(cls) -> "_Limits":
        # Read up front, so a missing setting fails loudly instead of inside _decoding().
        return cls(
            max_bytes=settings.DOCUMENT_MAX_BYTES,
            max_pixels=settings.DOCUMENT_MAX_PIXELS,
            min_width=settings.DOCUMENT_MIN_WIDTH,
            min_height=settings.DOCUMENT_MIN_HEIGHT,
            decode_long_side=settings.DOCUMENT_DECODE_LONG_SIDE,
        )


def _refusal(code: str, **params: object) -> ValidationError:
    return ValidationError(_MESSAGES[code], code=code, params=params or None)


def _read_limited(upload: UploadedFile | IO[bytes] | bytes, max_bytes: int) -> bytes:
    if isinstance(upload, bytes | bytearray | memoryview):
        data = bytes(upload)
    else:
        # The declared size lets an oversized upload be refused without reading it.
        declared = getattr(upload, "size", None)
        if declared == 0:
            raise _refusal("empty_file")
        if declared is not None and declared > max_bytes:
            raise _refusal("file_too_large", limit=max_bytes)
        if getattr(upload, "seekable", lambda: False)():
            upload.seek(0)
        # One byte past the limit is enough to know the file is too large.
        data = upload.read(max_bytes + 1)
    if not data:
        raise _refusal("empty_file")
    if len(data) > max_bytes:
        raise _refusal("file_too_large", limit=max_bytes)
    return data


def _detect_type(data: bytes) -> str:
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise _refusal("unsupported_type")


def _check_container(data: bytes, detected_type: str) -> None:
    {"jpeg": _check_jpeg, "png": _check_png, "webp": _check_webp}[detected_type](data)


# --- JPEG: walk the markers, so an EOI inside a segment (an EXIF thumbnail) is skipped ---

# In entropy-coded data 0xFF is followed by 0x00 (stuffing), RST0-7, or more 0xFF fill;
# any other byte after 0xFF is the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SOS, _EOI = 0xDA, 0xD9
# Multi-picture JPEGs (MPF: Ultra HDR gain maps, depth maps) legitimately append whole
# JPEG streams after the first; they are parsed the same way, and dropped on re-encoding.
_MAX_APPENDED_JPEG_STREAMS = 4


def _check_jpeg(data: bytes) -> None:
    end = _jpeg_stream_end(data, 0)
    for _ in range(_MAX_APPENDED_JPEG_STREAMS):
        if not data.startswith(JPEG_MAGIC, end):
            break
        end = _jpeg_stream_end(data, end)
    # Some encoders pad after EOI with 0x00 or 0xFF; anything else is a second payload.
    if data[end:].strip(b"\x00\xff"):
        raise _refusal("polyglot")


def _jpeg_stream_end(data: bytes, start: int) -> int:
    """The offset just past the EOI marker of the JPEG stream that begins at `start`."""
    pos = start + 2
    while True:
        if pos >= len(data) or data[pos] != 0xFF:
            raise _refusal("corrupt_image")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= len(data):
            raise _refusal("corrupt_image")
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            return pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM and RSTn stand alone
            continue
        length = int.from_bytes(data[pos : pos + 2], "big")
        if marker in (0x00, 0xD8) or length < 2 or pos + length > len(data):
            raise _refusal("corrupt_image")
        pos += length
        if marker == _SOS:
            found = _NEXT_MARKER.search(data, pos)
            if found is None:  # the scan runs to the end of the file: truncated
                raise _refusal("corrupt_image")
            pos = found.start()


# --- JPEG kept as it is, without its metadata ---

# The segments that make up the picture itself: SOF0-2 (baseline, extended, progressive
# Huffman), DHT, DQT, DRI, SOS. A JPEG with any other (arithmetic coding, hierarchical
# or lossless frames, DNL...) is re-encoded instead. APPn and COM are metadata: dropped.
_APP0, _APP14, _COM = 0xE0, 0xEE, 0xFE
# A bare JFIF header (version 1.01, no density unit, 1:1, no thumbnail). Written only when
# the upload had a JFIF segment, so its colour space reads exactly as before: without JFIF
# (or Adobe) a decoder goes by the component ids, and RGB-coded JPEGs exist.
_BARE_JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def _kept_jpeg(data: bytes, image: Image.Image, decode_long_side: int) -> bytes | None:
    """The upload's own picture segments, when it can be stored without re-encoding:
    a JPEG in RGB or greyscale (not CMYK or Adobe-transformed), upright (no EXIF
    orientation to apply), not reduced on decoding. None: it must be re-encoded."""
    if image.format not in ("JPEG", "MPO") or image.mode not in ("RGB", "L"):
        return None
    if max(image.size) >= 2 * decode_long_side:
        return None
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        return None
    return _picture_segments(data)


def _picture_segments(data: bytes) -> bytes | None:
    """SOI, a bare JFIF header if the upload had one, the frame, and before each scan
    the tables it uses (`_TablesInForce`), then the scan byte for byte; EOI. Only the
    first JPEG stream. The container was checked (_check_jpeg) before: every length here
    is in bounds. None (re-encode) for anything not understood exactly."""
    kept, pos, jfif = [b"\xff\xd8"], 2, False
    tables, frame = _TablesInForce(), None
    while True:
        while data[pos] == 0xFF:  # the marker's 0xFF and any fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no parameters; outside a scan: stray
            continue
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        payload = data[pos + 2 : end]
        if marker in _FRAMES:
            if frame is not None:
                return None  # one frame per stream
            frame = _frame_components(payload)
            if frame is None:
                return None
            kept.append(bytes((0xFF, marker)) + data[pos:end])
            progressive = marker == _SOF2
        elif marker == _DQT:
            if not tables.define_quantization(payload):
                return None
        elif marker == _DHT:
            if not tables.define_huffman(payload):
                return None
        elif marker == _DRI:
            if length != 4:
                return None
            tables.restart_interval = payload
        elif marker == _SOS:
            found = _NEXT_MARKER.search(data, end)
            if found is None:  # _check_jpeg found the scan's end: cannot happen
                raise _refusal("corrupt_image")
            needed = None if frame is None else tables.for_scan(frame, payload, progressive)
            if needed is None:
                return None
            kept.append(needed + bytes((0xFF, marker)) + data[pos : found.start()])
            end = found.start()
        elif marker == _APP0 and data.startswith(b"JFIF\x00", pos + 2):
            jfif = True
        elif marker == _APP14 or not (0xE0 <= marker <= 0xEF or marker == _COM):
            return None  # an Adobe colour transform, or a segment we do not keep as is
        pos = end
    if frame is None:
        return None
    if jfif:
        kept.insert(1, _BARE_JFIF)
    kept.append(b"\xff\xd9")
    return b"".join(kept)


_SOF2, _DHT, _DQT, _DRI = 0xC2, 0xC4, 0xDB, 0xDD
_FRAMES = frozenset({0xC0, 0xC1, _SOF2})


def _frame_components(payload: bytes) -> dict[int, int] | None:
    """A frame header's components: id -> quantization table slot."""
    if len(payload) < 6 or len(payload) != 6 + 3 * payload[5] or payload[5] == 0:
        return None
    components = {payload[at]: payload[at + 2] for at in range(6, len(payload), 3)}
    if len(components) != payload[5] or max(components.values()) > 3:
        return None
    return components


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


class _TablesInForce:
    """The quantization and Huffman tables defined so far, by slot, and those already
    written to the stored copy. Before each scan only the tables that scan uses are
    written, and only when the slot's definition differs from the one written: a table
    no scan uses, or one redefined before its use, is not stored. libjpeg latches a
    component's quantization table at its first scan, and takes the Huffman tables in
    force when each scan starts; a progressive DC refinement scan uses none, its DC first
    scans only DC tables, its AC scans only AC tables."""

    def __init__(self) -> None:
        self.quantization: dict[int, bytes] = {}
        self.huffman: dict[tuple[int, int], bytes] = {}
        self.restart_interval = b"\x00\x00"
        self.written_quantization: dict[int, bytes] = {}
        self.written_huffman: dict[tuple[int, int], bytes] = {}
        self.written_restart_interval = b"\x00\x00"
        self.latched: set[int] = set()

    def define_quantization(self, payload: bytes) -> bool:
        at = 0
        while at < len(payload):
            precision, slot = payload[at] >> 4, payload[at] & 15
            size = 1 + 64 * (precision + 1)
            if precision > 1 or slot > 3 or at + size > len(payload):
                return False
            self.quantization[slot] = payload[at : at + size]
            at += size
        return len(payload) > 0

    def define_huffman(self, payload: bytes) -> bool:
        at = 0
        while at < len(payload):
            table_class, slot = payload[at] >> 4, payload[at] & 15
            if table_class > 1 or slot > 3 or at + 17 > len(payload):
                return False
            size = 17 + sum(payload[at + 1 : at + 17])
            if size > 17 + 256 or at + size > len(payload):
                return False
            self.huffman[table_class, slot] = payload[at : at + size]
            at += size
        return len(payload) > 0

    def for_scan(self, frame: dict[int, int], header: bytes, progressive: bool) -> bytes | None:
        """The segments to write before this scan; None when it uses a table never defined."""
        count = header[0] if header else 0
        if not 1 <= count <= 4 or len(header) != 1 + 2 * count + 3:
            return None
        start, refining = header[1 + 2 * count], header[3 + 2 * count] >> 4
        quantization, huffman = [], []
        for at in range(1, 1 + 2 * count, 2):
            component, dc, ac = header[at], header[at + 1] >> 4, header[at + 1] & 15
            if component not in frame or dc > 3 or ac > 3:
                return None
            if component not in self.latched:
                self.latched.add(component)
                quantization.append(frame[component])
            if not progressive:
                huffman += [(0, dc), (1, ac)]
            elif start == 0 and refining == 0:
                huffman.append((0, dc))
            elif start > 0:
                huffman.append((1, ac))
        written = b""
        quantization_tables = self._to_write(quantization, self.quantization, self.written_quantization)
        huffman_tables = self._to_write(huffman, self.huffman, self.written_huffman)
        if quantization_tables is None or huffman_tables is None:
            return None
        if quantization_tables:
            written += _segment(_DQT, quantization_tables)
        if huffman_tables:
            written += _segment(_DHT, huffman_tables)
        if self.restart_interval != self.written_restart_interval:
            written += _segment(_DRI, self.restart_interval)
            self.written_restart_interval = self.restart_interval
        return written

    @staticmethod
    def _to_write(slots: list, defined: dict, written: dict) -> bytes | None:
        tables = []
        for slot in dict.fromkeys(slots):  # each once, in order
            if slot not in defined:
                return None
            if written.get(slot) != defined[slot]:
                written[slot] = defined[slot]
                tables.append(defined[slot])
        return b"".join(tables)


# --- PNG: walk the chunks to IEND; nothing may follow it ---


def _check_png(data: bytes) -> None:
    pos = len(PNG_MAGIC)
    while True:
        if pos + 12 > len(data):
            raise _refusal("corrupt_image")
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length  # length, type, data, CRC
        if pos > len(data):
            raise _refusal("corrupt_image")
        if chunk_type == b"IEND":
            break
    if pos != len(data):
        raise _refusal("polyglot")


# --- WebP: the RIFF header states the file's length; the chunks must fill it ---


def _check_webp(data: bytes) -> None:
    declared_end = 8 + int.from_bytes(data[4:8], "little")
    if declared_end < len(data):
        raise _refusal("polyglot")
    if declared_end > len(data):
        raise _refusal("corrupt_image")
    pos = 12
    while pos < declared_end:
        if pos + 8 > declared_end:
            raise _refusal("corrupt_image")
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    # Tolerate a writer that left out the final pad byte.
    if pos > declared_end + 1:
        raise _refusal("corrupt_image")


# --- decoding and re-encoding ---


@contextmanager
def _decoding(limits: _Limits) -> Iterator[None]:
    """Map what Pillow raises on hostile or broken input to refusals."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Pillow would then pad a truncated image with grey instead of failing.
        raise ImproperlyConfigured("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False.")
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; a bomb is a bomb.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _refusal("too_many_pixels", limit=limits.max_pixels) from error
        except Exception as error:
            # Pillow's decoders raise many types (OSError, SyntaxError, ValueError,
            # struct.error, EOFError...) on malformed input: all mean "unreadable".
            raise _refusal("corrupt_image") from error


def _check_dimensions(width: int, height: int, *, limits: _Limits) -> None:
    """Called on the header's size, before any pixel is decoded."""
    if width * height > limits.max_pixels:
        raise _refusal("too_many_pixels", limit=limits.max_pixels)
    short_side, long_side = sorted((limits.min_width, limits.min_height))
    # A card may be photographed in portrait or landscape.
    if min(width, height) < short_side or max(width, height) < long_side:
        raise _refusal("too_small", min_width=limits.min_width, min_height=limits.min_height)


# --- decode memory: reduced-scale JPEG decoding, and a per-process budget ---


def _reduce_on_decode(image: Image.Image, long_side: int) -> None:
    """A JPEG decodes at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, far cheaper than
    decoding and resizing) when its long side stays at or above `long_side`: plenty for
    reading a card, a quarter or less of the memory of a 40 MP photo."""
    if image.format != "JPEG" or max(image.size) < 2 * long_side:
        return
    scale = max(image.size) / long_side
    image.draft(image.mode, (max(1, int(image.width / scale)), max(1, int(image.height / scale))))


def _decoded_bytes(image: Image.Image) -> int:
    """What decoding and re-encoding may hold at once: the decoded pixels and one
    converted or turned copy (Pillow keeps RGB and RGBA in 4 bytes a pixel)."""
    if image.mode in ("1", "L"):
        per_pixel = 2  # stays L
    elif image.mode.startswith("I;16") or image.mode == "I":
        per_pixel = 10  # 16-bit greyscale: I;16, then I, then the scaled copy, then L
    else:
        per_pixel = (1 if image.mode == "P" else 4) + 4
    return image.width * image.height * per_pixel


def _coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg holds besides the pixels: a progressive JPEG's scans each refine the
    whole image, so it keeps every DCT coefficient of the full-size image (2 bytes each,
    64 per block, blocks padded to whole MCUs) until the last scan, whatever the scale
    it is decoded at; a baseline JPEG decodes one MCU row at a time (nothing to add).
    Call it before `draft`, which shrinks `image.size`."""
    if image.format not in ("JPEG", "MPO") or not image.info.get("progressive"):
        return 0
    layers = getattr(image, "layer", None) or [("", 1, 1, 0)]
    h_max = max(max(1, layer[1]) for layer in layers)
    v_max = max(max(1, layer[2]) for layer in layers)
    mcu_columns = -(-image.width // (8 * h_max))
    mcu_rows = -(-image.height // (8 * v_max))
    blocks = sum(mcu_columns * max(1, layer[1]) * mcu_rows * max(1, layer[2]) for layer in layers)
    return blocks * 64 * 2


class DecodeBudget:
    """At most `limit` bytes of decoded pixels at once in this process; a decode waits
    for room (one bigger than the whole budget runs alone). Eight uploads of 40 MP
    photos at once then hold about one budget's worth of pixels, not eight photos'."""

    def __init__(self) -> None:
        self.in_use = 0
        self.condition = threading.Condition()

    @contextmanager
    def held(self, size: int) -> Iterator[None]:
        limit = settings.DOCUMENT_DECODE_BUDGET_MB * 1024 * 1024
        with self.condition:
            self.condition.wait_for(lambda: self.in_use == 0 or self.in_use + size <= limit)
            self.in_use += size
        try:
            yield
        finally:
            with self.condition:
                self.in_use -= size
                self.condition.notify_all()


decode_budget = DecodeBudget()


def _return_freed_pixels_to_the_os() -> None:
    """glibc serves big allocations from mmap, but raises that threshold after the first
    free (up to 32 MB), so later images land in per-thread heaps that keep their memory:
    the RSS of a threaded web process then grows by every photo it has decoded. A fixed
    threshold keeps pixel buffers mmapped, given back to the system when freed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_return_freed_pixels_to_the_os()


def _encode(image: Image.Image, detected_type: str) -> bytes:
    fmt = _FORMATS[detected_type]
    clean = _convert_mode(image, detected_type)
    # Everything carried over from the upload (EXIF, XMP, ICC, comments, PNG text) is in
    # .info, and some encoders fall back to it: emptied, they write pixels only.
    clean.info = {}
    buffer = io.BytesIO()
    clean.save(buffer, format=fmt.pillow_format, **fmt.save_options)
    return buffer.getvalue()


def _convert_mode(image: Image.Image, detected_type: str) -> Image.Image:
    """A mode the output format stores natively, keeping transparency where it can."""
    mode = image.mode
    if mode == "I" or mode.startswith("I;16"):
        # 16-bit greyscale PNG: a plain convert would clip every value above 255 to white.
        image, mode = image.convert("I").point(lambda value: value / 256).convert("L"), "L"
    if detected_type == "jpeg":
        target = "L" if mode == "L" else "RGB"  # CMYK and YCCK become RGB
    elif detected_type == "png" and mode in ("L", "LA", "RGB", "RGBA") and "transparency" not in image.info:
        target = mode
    else:
        target = "RGBA" if image.has_transparency_data else "RGB"
    return image if mode == target else image.convert(target)
