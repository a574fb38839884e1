"""Drawing the faces of synthetic cards (1000 x 630 px, the ID-1 card's proportions)."""

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cardgen.cards import Card, town_of
from cardgen.styles import FONTS, Style, draw_style
from idnumbers.npwp import format_npwp15

WIDTH, HEIGHT = 1000, 630
_FONT_DIRS = ("/usr/share/fonts/truetype",)
_KTP_LABELS = (
    ("nik", "NIK"),
    ("name", "Nama"),
    ("birth", "Tempat/Tgl Lahir"),
    ("gender", "Jenis Kelamin"),
    ("address", "Alamat"),
    ("rt_rw", "RT/RW"),
    ("village", "Kel/Desa"),
    ("district", "Kecamatan"),
    ("religion", "Agama"),
    ("marital_status", "Status Perkawinan"),
    ("occupation", "Pekerjaan"),
    ("nationality", "Kewarganegaraan"),
    ("valid_until", "Berlaku Hingga"),
)
_INDENTED = {"rt_rw", "village", "district"}
INK = (25, 25, 35)


@cache
def font_pairs(yardstick: str = "tuning") -> tuple[tuple[Path, Path], ...]:
    """The (regular, bold) font files of a yardstick's styles that are installed."""
    found = []
    for regular, bold in FONTS[yardstick]:
        paths = [Path(d) / name for d in _FONT_DIRS for name in (regular, bold)]
        if all(p.is_file() for p in paths):
            found.append((paths[0], paths[1]))
    return tuple(found)


def _fonts(style: Style) -> tuple[Path, Path]:
    installed = font_pairs(style.yardstick)
    wanted = tuple(Path(_FONT_DIRS[0]) / name for name in style.fonts)
    return wanted if wanted in installed else installed[0]


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _printed_date(iso: str, separator: str = "-") -> str:
    return dt.date.fromisoformat(iso).strftime(f"%d{separator}%m{separator}%Y")


def _guilloche(draw: ImageDraw.ImageDraw, rng: np.random.Generator, color: tuple) -> None:
    xs = np.arange(0, WIDTH, 4)
    for k in range(14):
        amp, freq, phase = 20 + 25 * rng.random(), 0.006 + 0.01 * rng.random(), 6.3 * rng.random()
        ys = HEIGHT / 2 + (k - 7) * 45 + amp * np.sin(freq * xs + phase)
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=color, width=1)


def _photo_and_signature(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, font, city: str, style: Style
) -> None:
    x0, y0, x1, y1 = style.photo_left, 120, style.photo_left + 200, 380
    draw.rectangle((x0, y0, x1, y1), fill=(200, 45, 50) if rng.random() < 0.5 else (40, 80, 170))
    draw.ellipse((x0 + 60, y0 + 40, x1 - 60, y0 + 150), fill=(120, 95, 80))
    draw.chord((x0 + 20, y0 + 150, x1 - 20, y1 + 120), 180, 360, fill=(60, 60, 70))
    town = town_of(city)
    for text, y in (
        (town, 392),
        (
            _printed_date(
                f"{2010 + int(rng.integers(12))}-0{1 + int(rng.integers(9))}-15", style.date_separator
            ),
            418,
        ),
    ):
        width = draw.textlength(text, font=font)
        draw.text(((x0 + x1) / 2 - width / 2, y), text, font=font, fill=INK)
    points = [(x0 + 25 + 12 * i, 500 + 18 * np.sin(i * (0.9 + rng.random()))) for i in range(14)]
    draw.line(points, fill=(30, 30, 90), width=2)


def _ktp_values(card: Card, separator: str) -> dict[str, str]:
    f = card.fields
    values = {k: f.get(k, "") for k in ("nik", "name", "address", "rt_rw", "village", "district")}
    values |= {k: f[k] for k in ("religion", "marital_status", "occupation", "nationality")}
    values["birth"] = f"{f['birth_place']}, {_printed_date(f['birth_date'], separator)}"
    values["gender"] = "PEREMPUAN" if f["gender"] == "FEMALE" else "LAKI-LAKI"
    valid = f["valid_until"]
    values["valid_until"] = valid if valid == "SEUMUR HIDUP" else _printed_date(valid, separator)
    return values


def draw_ktp(card: Card, rng: np.random.Generator, style: Style) -> Image.Image:
    regular, bold = _fonts(style)
    base = np.array([185, 215, 238]) + rng.integers(-12, 12, 3)
    image = Image.new("RGB", (WIDTH, HEIGHT), tuple(int(c) for c in base))
    draw = ImageDraw.Draw(image)
    _guilloche(draw, rng, tuple(int(c) for c in base - 22))
    head = _font(bold, style.header_size)
    pitch = int(style.header_size * 1.25)
    for text, y in (
        (f"PROVINSI {card.fields['province']}", style.header_top),
        (card.fields["city"], style.header_top + pitch),
    ):
        draw.text((WIDTH / 2 - draw.textlength(text, font=head) / 2, y), text, font=head, fill=INK)
    size = style.size
    # Fourteen lines (one value may wrap) must fit above the card's bottom edge.
    spacing = min(style.spacing, (HEIGHT - 24 - style.top - 2 * size) / (14 * size))
    label_font = value_font = _font(regular, size)
    labels = [(key, style.birth_label if key == "birth" else label) for key, label in _KTP_LABELS]
    labels = [(key, label.upper() if style.upper_labels else label) for key, label in labels]
    widest = max(draw.textlength(label, font=label_font) for _, label in labels)
    colon_x = style.left + int(widest) + style.colon_gap
    values, y = _ktp_values(card, style.date_separator), style.top
    right = style.photo_left - 55
    for key, text in labels:
        x = style.left + (26 if key in _INDENTED else 0)
        if key == "nik":
            big = _font(bold, size + 8)
            draw.text((x, y), text, font=big, fill=INK)
            draw.text((colon_x, y), ":", font=big, fill=INK)
            draw.text((colon_x + 18, y - 2), values["nik"], font=_font(bold, size + 10), fill=INK)
            y += int((size + 8) * 1.6)
            continue
        draw.text((x, y), text + (":" if style.joined_colon else ""), font=label_font, fill=INK)
        if not style.joined_colon:
            draw.text((colon_x, y), ":", font=label_font, fill=INK)
        if key == "gender":
            gol = style.blood_label.upper() if style.upper_labels else style.blood_label
            blood_x = max(470, colon_x + 16 + int(draw.textlength("PEREMPUAN", font=value_font)) + 30)
            draw.text(
                (blood_x, y), f"{gol} : {card.fields.get('blood_type', '-')}", font=label_font, fill=INK
            )
        y = _draw_value(draw, values[key], (colon_x + 16, y), value_font, right, spacing)
    _photo_and_signature(draw, rng, _font(regular, 19), card.fields["city"], style)
    return image


def _draw_value(
    draw: ImageDraw.ImageDraw, text: str, at: tuple[int, int], font, right: int, spacing: float = 1.45
) -> int:
    """Draw a value, wrapping it onto a second line when it would run into the photo."""
    x, y = at
    words, line = text.split(), ""
    lines = []
    for word in words:
        trial = f"{line} {word}".strip()
        if line and x + draw.textlength(trial, font=font) > right:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    for part in lines:
        draw.text((x, y), part, font=font, fill=INK)
        y += int(font.size * spacing)
    return y


def _npwp_number(npwp: str, style: Style) -> str:
    if len(npwp) == 15:
        return format_npwp15(npwp)
    return " ".join(npwp[i : i + 4] for i in range(0, 16, 4)) if style.npwp_grouped else npwp


def draw_npwp(card: Card, rng: np.random.Generator, style: Style) -> Image.Image:
    regular, bold = _fonts(style)
    image = Image.new("RGB", (WIDTH, HEIGHT), (248, 248, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH - 1, HEIGHT - 1), outline=(40, 70, 140), width=10)
    draw.rectangle((0, 0, WIDTH, 22), fill=(40, 70, 140))
    draw.ellipse((40, 50, 150, 160), outline=(200, 150, 30), width=8)
    draw.polygon([(95, 70), (70, 140), (120, 140)], fill=(200, 150, 30))
    head = _font(bold, style.header_size - 1)
    top = 44 + style.header_top
    draw.text((175, top), "KEMENTERIAN KEUANGAN REPUBLIK INDONESIA", font=head, fill=INK)
    draw.text((175, top + int(style.header_size * 1.4)), "DIREKTORAT JENDERAL PAJAK", font=head, fill=INK)
    f, size = card.fields, style.size + 4
    value_font, big = _font(regular, size), _font(bold, size + 6)
    label = "NPWP" if len(f["npwp"]) == 15 or rng.random() < 0.5 else "NPWP16"
    x, y = style.left + 28, top + 133
    draw.text((x, y), f"{label} : {_npwp_number(f['npwp'], style)}", font=big, fill=INK)
    y += int(size * 2.1)
    draw.text((x, y), f["name"], font=_font(bold, size), fill=INK)
    y += int(size * 1.6)
    if "nik" in f:
        draw.text((x, y), f"NIK : {f['nik']}", font=value_font, fill=INK)
        y += int(size * 1.6)
    y = _draw_value(draw, f["address"], (x, y), value_font, 900, style.spacing)
    bottom = min(max(y + 16, 520), 540)
    draw.text((x, bottom), f["kpp"], font=value_font, fill=INK)
    registered = f"{style.registered_label} : {_printed_date(f['registered_date'], style.date_separator)}"
    if style.upper_labels:
        registered = registered.upper()
    draw.text((x, bottom + int(size * 1.5)), registered, font=value_font, fill=INK)
    return image


def draw_card(card: Card, rng: np.random.Generator, yardstick: str = "tuning") -> np.ndarray:
    """The card's face as an RGB array, in one of the yardstick's styles."""
    style = draw_style(rng, yardstick)
    image = draw_ktp(card, rng, style) if card.doc_type == "KTP" else draw_npwp(card, rng, style)
    return np.asarray(image)
