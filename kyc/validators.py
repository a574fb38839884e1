"""Strict validation of an uploaded identity-document image, and its normalized copy.

The type comes from the bytes alone (never the client's name or content type), the
container is parsed to its end so nothing can hide after the image, the pixels are
fully decoded under a pixel limit, and the stored copy is re-encoded from pixels only,
upright and without metadata (EXIF with GPS, XMP, ICC, comments, PNG text).
"""

import hashlib
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageFile, ImageOps

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
    "jpeg": _Format("JPEG", "jpg", "image/jpeg", {"quality": 92, "optimize": True}),
    "png": _Format("PNG", "png", "image/png", {"optimize": True}),
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
    with _decoding(limits), Image.open(io.BytesIO(data), formats=[fmt.pillow_format]) as image:
        _check_dimensions(*image.size, limits=limits)
        image.load()
        upright = ImageOps.exif_transpose(image)  # always a new image, ours to change
    return NormalizedImage(
        content=_encode(upright, detected_type),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        detected_type=detected_type,
        width=upright.width,
        height=upright.height,
        extension=fmt.extension,
        content_type=fmt.content_type,
    )


@dataclass(frozen=True, slots=True)
class _Limits:
    max_bytes: int
    max_pixels: int
    min_width: int
    min_height: int

    @classmethod
    def from_settings(cls) -> "_Limits":
        # Read up front, so a missing setting fails loudly instead of inside _decoding().
        return cls(
            max_bytes=settings.DOCUMENT_MAX_BYTES,
            max_pixels=settings.DOCUMENT_MAX_PIXELS,
            min_width=settings.DOCUMENT_MIN_WIDTH,
            min_height=settings.DOCUMENT_MIN_HEIGHT,
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
