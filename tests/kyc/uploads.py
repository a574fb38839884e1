"""Upload payloads built in code: valid images and every kind of hostile file."""

import io
import zlib

from PIL import Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 400), color: str = "lightblue") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG that decodes to width*height pixels (a decompression bomb)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * (width // 8 + 1)
    compressor = zlib.compressobj(9)
    raw = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def hostile_uploads() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, filename) of uploads that must all be refused."""
    jpeg = image_bytes()
    zip_tail = b"PK\x03\x04" + b"\x00" * 26 + b"evil.txt" + b"payload" * 20
    return {
        "zero-bytes": (b"", "card.jpg"),
        "truncated-jpeg": (jpeg[: len(jpeg) // 2], "card.jpg"),
        "text-named-jpg": (b"just some text, not an image at all\n" * 20, "card.jpg"),
        "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"></svg>', "card.svg"),
        "jpeg-with-zip": (jpeg + zip_tail, "card.jpg"),
        "jpeg-with-html": (jpeg + b"<html><script>alert(1)</script></html>", "card.jpg"),
        "png-bomb": (png_bomb(), "card.png"),
        "gif": (image_bytes("GIF"), "card.gif"),
        "too-small": (image_bytes(size=(120, 80)), "card.jpg"),
    }
