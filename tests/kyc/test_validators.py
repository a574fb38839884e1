"""kyc.validators: what an upload must be to be accepted, and what is stored of it.

Every input is built here with Pillow or by hand; codes are asserted, not messages."""

import hashlib
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin
from pytest_django.fixtures import Settings

from kyc.validators import validate_and_normalize


# --- inputs ---------------------------------------------------------------------------
def picture(size: tuple[int, int] = (640, 400), mode: str = "RGB") -> Image.Image:
    """A gradient, so encoders have real content to compress."""
    return Image.linear_gradient("L").resize(size).convert(mode)


def translucent(size: tuple[int, int] = (640, 400)) -> Image.Image:
    image = picture(size, "RGBA")
    image.putalpha(128)
    return image


def encoded(fmt: str, image: Image.Image | None = None, **options: object) -> bytes:
    buffer = io.BytesIO()
    (image or picture()).save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "card.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal_code(data: bytes | SimpleUploadedFile | io.BytesIO) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_and_normalize(data if not isinstance(data, bytes) else upload(data))
    return caught.value.code


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bilevel_png(width: int, height: int) -> bytes:
    """A genuine 1-bit PNG of zeros: tiny on disk, width*height pixels once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """An EXIF block (little-endian TIFF) whose IFD1 holds a JPEG thumbnail, FFD9 and all."""
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, 1, 0) + struct.pack("<I", 26)
    thumbnail_offset = 26 + 2 + 3 * 12 + 4
    ifd1 = (
        struct.pack("<H", 3)
        + struct.pack("<HHIHH", 0x0103, 3, 1, 6, 0)
        + struct.pack("<HHII", 0x0201, 4, 1, thumbnail_offset)
        + struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
        + struct.pack("<I", 0)
    )
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd0 + ifd1 + thumbnail


# --- accepted -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "detected", "extension", "content_type"),
    [
        ("JPEG", "jpeg", "jpg", "image/jpeg"),
        ("PNG", "png", "png", "image/png"),
        ("WEBP", "webp", "webp", "image/webp"),
    ],
)
def test_it_accepts_a_valid_image_and_reencodes_it_in_the_same_format(
    fmt: str, detected: str, extension: str, content_type: str
) -> None:
    result = validate_and_normalize(upload(encoded(fmt)))

    assert (result.detected_type, result.extension, result.content_type) == (
        detected,
        extension,
        content_type,
    )
    assert (result.width, result.height) == (640, 400)
    with Image.open(io.BytesIO(result.content)) as stored:
        assert stored.format == fmt
        assert stored.size == (640, 400)


def test_it_takes_the_type_from_the_bytes_not_the_name_or_content_type() -> None:
    result = validate_and_normalize(upload(encoded("PNG"), name="card.jpg", content_type="image/jpeg"))

    assert result.detected_type == "png"
    assert result.extension == "png"


def test_it_accepts_plain_bytes_and_unsized_streams() -> None:
    data = encoded("JPEG")

    assert validate_and_normalize(data).sha256 == validate_and_normalize(io.BytesIO(data)).sha256


def test_it_accepts_a_card_photographed_in_portrait() -> None:
    result = validate_and_normalize(upload(encoded("JPEG", picture((200, 320)))))

    assert (result.width, result.height) == (200, 320)


def test_the_sha256_and_size_are_those_of_the_original_bytes() -> None:
    original = encoded("JPEG", comment=b"changes the bytes, not the pixels")

    result = validate_and_normalize(upload(original))

    assert result.sha256 == hashlib.sha256(original).hexdigest()
    assert result.size == len(original)
    assert result.sha256 != hashlib.sha256(result.content).hexdigest()


def test_a_jpeg_whose_exif_thumbnail_has_its_own_end_marker_is_not_a_polyglot() -> None:
    thumbnail = encoded("JPEG", picture((160, 100)))
    data = encoded("JPEG", exif=exif_with_thumbnail(thumbnail))
    # The thumbnail's FFD9 sits well before the real end of the image.
    assert data.index(thumbnail) + len(thumbnail) < len(data) - 2

    result = validate_and_normalize(upload(data))

    assert result.detected_type == "jpeg"


def test_a_multi_picture_jpeg_with_a_second_complete_image_appended_is_accepted() -> None:
    data = encoded("JPEG") + encoded("JPEG", picture((320, 200)))

    assert validate_and_normalize(upload(data)).width == 640


def test_a_jpeg_padded_with_zero_bytes_after_its_end_is_accepted() -> None:
    assert validate_and_normalize(upload(encoded("JPEG") + b"\x00" * 64)).detected_type == "jpeg"


# --- the normalized copy --------------------------------------------------------------
def test_a_rotated_jpeg_with_gps_comes_out_upright_without_any_metadata() -> None:
    image = Image.new("RGB", (640, 400), "red")
    image.paste((0, 0, 255), (0, 200, 640, 400))  # top half red, bottom half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # display rotated 90 degrees clockwise
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0)}
    )
    original = encoded("JPEG", image, exif=exif, comment=b"taken at home")
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really carries GPS

    result = validate_and_normalize(upload(original))

    assert (result.width, result.height) == (400, 640)
    assert b"Exif" not in result.content
    assert b"taken at home" not in result.content
    with Image.open(io.BytesIO(result.content)) as stored:
        assert len(stored.getexif()) == 0
        assert "comment" not in stored.info
        left, right = stored.convert("RGB").getpixel((50, 320)), stored.convert("RGB").getpixel((350, 320))
    # Rotated clockwise, the top (red) half is now on the right.
    assert left[2] > 200 and left[0] < 60
    assert right[0] > 200 and right[2] < 60


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    """The JPEG with segments inserted right after its SOI (and its JFIF APP0, if any)."""
    at = 2 + 2 + int.from_bytes(jpeg[4:6], "big") if jpeg[2:4] == b"\xff\xe0" else 2
    return jpeg[:at] + b"".join(segments) + jpeg[at:]


def test_an_upright_jpeg_is_kept_pixel_for_pixel_with_every_metadata_segment_dropped() -> None:
    image = picture((800, 500))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.Base.Make] = "secret camera"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0)}
    )
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = encoded("JPEG", image, quality=90)
    original = with_segments(
        encoded("JPEG", image, quality=90, exif=exif, icc_profile=icc, comment=b"secret comment"),
        jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret xmp</x:xmpmeta>"),
        jpeg_segment(0xED, b"Photoshop 3.0\x00secret iptc"),
        jpeg_segment(0xEF, b"secret vendor data"),
    )
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo) and "icc_profile" in check.info

    result = validate_and_normalize(upload(original))

    for marker in (b"Exif", b"secret", b"ICC_PROFILE", b"Photoshop", b"xmpmeta", b"\xff\xfe"):
        assert marker not in result.content
    # Not re-encoded: the same pixels exactly, and the scan is the upload's own bytes.
    scan = plain[plain.index(b"\xff\xda") :]
    assert result.content.endswith(scan)
    with Image.open(io.BytesIO(result.content)) as stored, Image.open(io.BytesIO(plain)) as source:
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (800, 500))
        assert len(stored.getexif()) == 0 and "icc_profile" not in stored.info
        assert stored.tobytes() == source.tobytes()
    assert (result.width, result.height) == (800, 500)


@pytest.mark.parametrize(
    "options",
    [{"restart_marker_blocks": 4}, {"subsampling": 0}, {"progressive": True, "restart_marker_rows": 2}],
)
def test_a_jpeg_with_restart_intervals_or_any_subsampling_is_kept_pixel_for_pixel(options: dict) -> None:
    original = encoded("JPEG", picture((640, 400)), quality=90, comment=b"secret", **options)

    result = validate_and_normalize(upload(original))

    assert b"secret" not in result.content
    with Image.open(io.BytesIO(result.content)) as stored, Image.open(io.BytesIO(original)) as source:
        assert stored.tobytes() == source.tobytes()


def test_a_progressive_jpeg_is_kept_with_all_its_scans() -> None:
    original = encoded("JPEG", picture((640, 400), "L"), progressive=True, comment=b"secret")

    result = validate_and_normalize(upload(original))

    assert b"secret" not in result.content
    assert result.content.count(b"\xff\xda") == original.count(b"\xff\xda") > 1
    with Image.open(io.BytesIO(result.content)) as stored, Image.open(io.BytesIO(original)) as source:
        assert stored.mode == "L" and stored.tobytes() == source.tobytes()


def huffman_table(table_class: int, slot: int, values: bytes) -> bytes:
    """One DHT entry: every value given a 16-bit code (a valid table, up to 255 values)."""
    return bytes((table_class << 4 | slot, *([0] * 15), len(values))) + values


def quantization_table(slot: int, values: bytes) -> bytes:
    return bytes((slot,)) + values.ljust(64, b"!")[:64]


def table_segments(jpeg: bytes) -> list[bytes]:
    """The JPEG's own DQT and DHT segments (before its first scan), whole."""
    segments, pos = [], 2
    while jpeg[pos + 1] != 0xDA:
        end = pos + 2 + int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        if jpeg[pos + 1] in (0xC4, 0xDB):
            segments.append(jpeg[pos:end])
        pos = end
    return segments


def scans(jpeg: bytes) -> list[bytes]:
    """Each scan (its SOS header and coded data), as the bytes run to the next marker."""
    found, pos = [], jpeg.find(b"\xff\xda")
    while pos != -1:
        end = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]").search(jpeg, pos + 2)
        assert end is not None
        found.append(jpeg[pos : end.start()])
        pos = jpeg.find(b"\xff\xda", end.start())
    return found


def assert_kept_pixel_for_pixel(result_content: bytes, plain: bytes) -> None:
    kept_scans = scans(result_content)
    assert kept_scans == scans(plain)  # every scan, byte for byte
    assert result_content.endswith(kept_scans[-1] + b"\xff\xd9")
    with Image.open(io.BytesIO(result_content)) as stored, Image.open(io.BytesIO(plain)) as source:
        assert (stored.mode, stored.size) == (source.mode, source.size)
        assert stored.tobytes() == source.tobytes()


@pytest.mark.parametrize("progressive", [False, True])
def test_tables_no_scan_uses_are_not_stored(progressive: bool) -> None:
    plain = encoded("JPEG", picture((640, 400)), quality=90, progressive=progressive)
    original = with_segments(
        plain,
        jpeg_segment(0xC4, huffman_table(1, 3, b"secret in an unused AC table")),
        jpeg_segment(0xC4, huffman_table(0, 2, b"secret in an unused DC table" * 9)),
        jpeg_segment(0xDB, quantization_table(3, b"secret in an unused quantization slot")),
        # Unused tables sharing one segment with each other.
        jpeg_segment(0xDB, quantization_table(2, b"secret q2") + quantization_table(3, b"secret q3")),
    )

    result = validate_and_normalize(upload(original))

    assert b"secret" not in result.content
    assert_kept_pixel_for_pixel(result.content, plain)
    assert len(result.content) <= len(plain)


def test_a_table_redefined_before_any_scan_uses_it_is_stored_in_its_last_definition_only() -> None:
    plain = encoded("JPEG", picture((640, 400)), quality=90)
    own_tables = table_segments(plain)
    assert len(own_tables) >= 2
    sos = plain.index(b"\xff\xda")
    # Slots 0 and 1 first defined with text (the image's own tables then replace them),
    # and the image's own tables repeated twenty times more just before the scan.
    original = with_segments(
        plain[:sos] + b"".join(own_tables) * 20 + plain[sos:],
        jpeg_segment(0xDB, quantization_table(0, b"secret q0") + quantization_table(1, b"secret q1")),
        jpeg_segment(0xC4, huffman_table(0, 0, b"secret dc0") + huffman_table(1, 0, b"secret ac0")),
        jpeg_segment(0xC4, huffman_table(0, 1, b"secret dc1") + huffman_table(1, 1, b"secret ac1")),
    )

    result = validate_and_normalize(upload(original))

    assert b"secret" not in result.content
    assert_kept_pixel_for_pixel(result.content, plain)
    assert len(result.content) <= len(plain)
    assert result.content.count(b"\xff\xdb") == 1 and result.content.count(b"\xff\xc4") == 1


def test_a_scan_using_a_table_never_defined_is_reencoded() -> None:
    plain = encoded("JPEG", picture((640, 400)), quality=90)
    without_huffman = plain
    for segment in table_segments(plain):
        if segment[1] == 0xC4:
            without_huffman = without_huffman.replace(segment, b"", 1)
    # libjpeg falls back to its standard tables; a kept copy is refused on doubt instead.
    try:
        result = validate_and_normalize(upload(without_huffman))
    except ValidationError as error:
        assert error.code == "corrupt_image"
        return
    assert not result.content.endswith(without_huffman[without_huffman.index(b"\xff\xda") :])


def test_the_pictures_appended_to_a_multi_picture_jpeg_are_not_stored() -> None:
    first = encoded("JPEG")
    result = validate_and_normalize(upload(first + encoded("JPEG", picture((320, 200)))))

    assert result.content.count(b"\xff\xd8") == 1
    assert len(result.content) < len(first) + 64


def test_a_jpeg_with_an_adobe_colour_transform_is_reencoded_from_its_pixels() -> None:
    original = encoded("JPEG", picture(mode="CMYK"))
    assert b"Adobe" in original

    result = validate_and_normalize(upload(original))

    assert b"Adobe" not in result.content
    with Image.open(io.BytesIO(result.content)) as stored:
        assert stored.mode == "RGB"


def test_a_kept_jpeg_whose_scan_is_damaged_is_still_refused() -> None:
    data = bytearray(encoded("JPEG", picture((640, 400))))
    start = data.index(b"\xff\xda") + 14
    data[start:] = b"\x00" * 64  # the scan cut short, its end marker gone

    assert refusal_code(bytes(data)) == "corrupt_image"


def full_size_decode_fails(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:
        return True
    return False


def container_walk_refuses(data: bytes) -> bool:
    from kyc.validators import _check_jpeg

    try:
        _check_jpeg(data)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("progressive", [False, True])
def test_a_kept_jpeg_is_refused_exactly_when_a_full_size_decode_fails(progressive: bool) -> None:
    import random

    rng = random.Random(17)
    noise = Image.merge("RGB", [Image.effect_noise((800, 500), sigma) for sigma in (40, 60, 80)])
    original = encoded("JPEG", noise, quality=85, progressive=progressive)
    scan = original.index(b"\xff\xda") + 14
    outcomes = set()
    for index in range(80):
        data = bytearray(original)
        at = rng.randrange(scan, len(data) - 2)
        if index % 4 == 0:  # bytes changed inside the scans
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(scan, len(data) - 2)] = rng.randrange(256)
        elif index % 4 == 1:  # cut short, an end marker put back
            data = data[:at] + b"\xff\xd9"
        elif index % 4 == 2:  # a run of bytes lost from a scan
            del data[at : at + rng.randint(1, 200)]
        else:  # a marker where coded data should be
            data[at : at + 2] = bytes((0xFF, rng.choice((0xC0, 0xC4, 0xDA, 0xDB))))
        damaged = bytes(data)
        walk, decode = container_walk_refuses(damaged), full_size_decode_fails(damaged)
        try:
            validate_and_normalize(damaged)
            refused = False
        except ValidationError:
            refused = True
        assert refused == (walk or decode), index
        outcomes.add((walk, decode))
    assert (False, True) in outcomes  # some pass the marker walk and only a decode refuses them
    assert (False, False) in outcomes


def test_png_text_chunks_and_icc_profiles_are_stripped() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret comment")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret xmp</x:xmpmeta>")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encoded("PNG", pnginfo=text, icc_profile=icc)
    assert b"iCCP" in original and b"tEXt" in original

    content = validate_and_normalize(upload(original)).content

    for marker in (b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf", b"secret"):
        assert marker not in content


@pytest.mark.parametrize(
    ("fmt", "source", "stored_mode"),
    [
        ("JPEG", picture(mode="CMYK"), "RGB"),
        ("JPEG", picture(mode="L"), "L"),
        ("PNG", picture(mode="P"), "RGB"),
        ("PNG", picture(mode="LA"), "LA"),
        ("WEBP", translucent(), "RGBA"),
        ("WEBP", picture(mode="RGBA"), "RGB"),  # an all-opaque alpha is dropped by the encoder
    ],
)
def test_modes_are_converted_to_what_the_format_stores(
    fmt: str, source: Image.Image, stored_mode: str
) -> None:
    content = validate_and_normalize(upload(encoded(fmt, source))).content

    with Image.open(io.BytesIO(content)) as stored:
        assert stored.mode == stored_mode


def test_a_palette_png_with_transparency_keeps_its_alpha() -> None:
    source = picture(mode="P")
    content = validate_and_normalize(upload(encoded("PNG", source, transparency=0))).content

    with Image.open(io.BytesIO(content)) as stored:
        assert stored.mode == "RGBA"


def test_a_16_bit_greyscale_png_keeps_its_tones() -> None:
    source = Image.new("I;16", (640, 400), 32768)

    content = validate_and_normalize(upload(encoded("PNG", source))).content

    with Image.open(io.BytesIO(content)) as stored:
        assert stored.mode == "L"
        assert stored.getpixel((0, 0)) == 128


# --- refused --------------------------------------------------------------------------
def test_it_refuses_an_empty_file() -> None:
    assert refusal_code(b"") == "empty_file"
    assert refusal_code(io.BytesIO(b"")) == "empty_file"


def test_it_refuses_a_file_one_byte_over_the_limit(settings: Settings) -> None:
    data = encoded("JPEG")
    data += b"\x00" * (settings.DOCUMENT_MAX_BYTES + 1 - len(data))

    assert refusal_code(upload(data)) == "file_too_large"


def test_it_reads_no_more_than_one_byte_past_the_limit_from_an_unsized_stream(settings: Settings) -> None:
    stream = io.BytesIO(b"\xff\xd8\xff" + b"\x00" * (3 * settings.DOCUMENT_MAX_BYTES))

    assert refusal_code(stream) == "file_too_large"
    assert stream.tell() == settings.DOCUMENT_MAX_BYTES + 1


def test_the_size_limit_follows_the_setting(settings: Settings) -> None:
    data = encoded("JPEG")
    settings.DOCUMENT_MAX_BYTES = len(data) - 1

    assert refusal_code(data) == "file_too_large"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"just some text, named card.jpg\n" * 20, id="text-named-jpg"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"/>', id="svg"),
        pytest.param(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', id="svg-xml"),
        pytest.param(encoded("GIF"), id="gif"),
        pytest.param(encoded("BMP"), id="bmp"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF", id="pdf"),
        pytest.param(b"<!DOCTYPE html><html><body>card</body></html>", id="html"),
        pytest.param(b"\xff\xd8", id="two-byte-jpeg-prefix"),
        pytest.param(b"RIFF\x04\x00\x00\x00WAVE", id="riff-but-not-webp"),
    ],
)
def test_it_refuses_anything_but_jpeg_png_and_webp(data: bytes) -> None:
    assert refusal_code(upload(data, content_type="image/jpeg")) == "unsupported_type"


def _zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encoded("JPEG") + _zip_archive(), id="jpeg-with-zip"),
        pytest.param(encoded("JPEG") + b"<html><script>alert(1)</script></html>", id="jpeg-with-html"),
        pytest.param(encoded("JPEG") + encoded("JPEG") + b"<html></html>", id="jpeg-pair-with-html"),
        pytest.param(encoded("PNG") + b"<html><script>alert(1)</script></html>", id="png-with-html"),
        pytest.param(encoded("PNG") + _zip_archive(), id="png-with-zip"),
        pytest.param(encoded("WEBP") + _zip_archive(), id="webp-with-zip"),
    ],
)
def test_it_refuses_a_polyglot_with_data_after_the_image(data: bytes) -> None:
    assert refusal_code(data) == "polyglot"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encoded("JPEG")[:-2], id="jpeg-without-end-marker"),
        pytest.param(encoded("JPEG")[: len(encoded("JPEG")) // 2], id="truncated-jpeg"),
        pytest.param(encoded("PNG")[:-20], id="truncated-png"),
        pytest.param(encoded("WEBP")[:-20], id="truncated-webp"),
        pytest.param(
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
            id="jpeg-no-frame",
        ),
    ],
)
def test_it_refuses_a_truncated_or_corrupt_image(data: bytes) -> None:
    assert refusal_code(data) == "corrupt_image"


def test_it_refuses_a_png_whose_pixel_data_is_garbage() -> None:
    data = bytearray(encoded("PNG"))
    start = data.index(b"IDAT") + 4
    data[start : start + 200] = b"\xa5" * 200

    assert refusal_code(bytes(data)) == "corrupt_image"


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(8_000, 6_000, id="over-our-limit"),
        pytest.param(10_000, 10_000, id="where-pillow-only-warns"),
        pytest.param(20_000, 20_000, id="where-pillow-refuses"),
    ],
)
def test_it_refuses_a_png_decompression_bomb(width: int, height: int) -> None:
    bomb = bilevel_png(width, height)
    assert len(bomb) < 100_000

    assert refusal_code(upload(bomb, name="card.png")) == "too_many_pixels"


def test_it_refuses_huge_dimensions_from_the_header_alone() -> None:
    # The pixel data is a few bytes: the header is all it takes to refuse.
    header = struct.pack(">IIBBBBB", 65_535, 65_535, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )

    assert refusal_code(data) == "too_many_pixels"


def test_the_pixel_limit_follows_the_setting(settings: Settings) -> None:
    settings.DOCUMENT_MAX_PIXELS = 640 * 400 - 1

    assert refusal_code(encoded("JPEG")) == "too_many_pixels"


@pytest.mark.parametrize("size", [(640, 199), (199, 640), (310, 310), (300, 190)])
def test_it_refuses_an_image_below_the_minimum_dimensions(size: tuple[int, int]) -> None:
    assert refusal_code(encoded("JPEG", picture(size))) == "too_small"


def test_it_will_not_run_when_pillow_is_told_to_accept_truncated_images(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(ImproperlyConfigured):
        validate_and_normalize(encoded("JPEG"))
