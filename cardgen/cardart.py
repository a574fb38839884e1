"""Drawing the faces of synthetic cards (1000 x 630 px, the ID-1 card's proportions)."""

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cardgen.cards import Card, town_of
from idnumbers.npwp import format_npwp15

WIDTH, HEIGHT = 1000, 630
_FONT_DIRS = ("/usr/share/fonts/truetype",)
# (regular, bold) pairs of sans fonts; DejaVu is always installed, the others when present.
_FONTS = (
    ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
    ("liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf"),
    ("freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf"),
)
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
def font_pairs() -> tuple[tuple[Path, Path], ...]:
    found = []
    for regular, bold in _FONTS:
        paths = [Path(d) / name for d in _FONT_DIRS for name in (regular, bold)]
        if all(p.is_file() for p in paths):
            found.append((paths[0], paths[1]))
    return tuple(found)


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _printed_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d-%m-%Y")


def _guilloche(draw: ImageDraw.ImageDraw, rng: np.random.Generator, color: tuple) -> None:
    xs = np.arange(0, WIDTH, 4)
    for k in range(14):
        amp, freq, phase = 20 + 25 * rng.random(), 0.006 + 0.01 * rng.random(), 6.3 * rng.random()
        ys = HEIGHT / 2 + (k - 7) * 45 + amp * np.sin(freq * xs + phase)
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=color, width=1)


def _photo_and_signature(draw: ImageDraw.ImageDraw, rng: np.random.Generator, font, city: str) -> None:
    x0, y0, x1, y1 = 745, 120, 945, 380
    draw.rectangle((x0, y0, x1, y1), fill=(200, 45, 50) if rng.random() < 0.5 else (40, 80, 170))
    draw.ellipse((x0 + 60, y0 + 40, x1 - 60, y0 + 150), fill=(120, 95, 80))
    draw.chord((x0 + 20, y0 + 150, x1 - 20, y1 + 120), 180, 360, fill=(60, 60, 70))
    town = town_of(city)
    for text, y in (
        (town, 392),
        (_printed_date(f"{2010 + int(rng.integers(12))}-0{1 + int(rng.integers(9))}-15"), 418),
    ):
        width = draw.textlength(text, font=font)
        draw.text(((x0 + x1) / 2 - width / 2, y), text, font=font, fill=INK)
    points = [(770 + 12 * i, 500 + 18 * np.sin(i * (0.9 + rng.random()))) for i in range(14)]
    draw.line(points, fill=(30, 30, 90), width=2)


def _ktp_values(card: Card) -> dict[str, str]:
    f = card.fields
    values = {k: f.get(k, "") for k in ("nik", "name", "address", "rt_rw", "village", "district")}
    values |= {k: f[k] for k in ("religion", "marital_status", "occupation", "nationality")}
    values["birth"] = f"{f['birth_place']}, {_printed_date(f['birth_date'])}"
    values["gender"] = "PEREMPUAN" if f["gender"] == "FEMALE" else "LAKI-LAKI"
    valid = f["valid_until"]
    values["valid_until"] = valid if valid == "SEUMUR HIDUP" else _printed_date(valid)
    return values


def draw_ktp(card: Card, rng: np.random.Generator) -> Image.Image:
    regular, bold = font_pairs()[int(rng.integers(len(font_pairs())))]
    base = np.array([185, 215, 238]) + rng.integers(-12, 12, 3)
    image = Image.new("RGB", (WIDTH, HEIGHT), tuple(int(c) for c in base))
    draw = ImageDraw.Draw(image)
    _guilloche(draw, rng, tuple(int(c) for c in base - 22))
    head = _font(bold, 27)
    for text, y in ((f"PROVINSI {card.fields['province']}", 18), (card.fields["city"], 52)):
        draw.text((WIDTH / 2 - draw.textlength(text, font=head) / 2, y), text, font=head, fill=INK)
    size = int(rng.integers(20, 24))
    label_font, value_font = _font(regular, size), _font(regular, size)
    upper = bool(rng.random() < 0.4)
    widest = max(
        draw.textlength(label.upper() if upper else label, font=label_font) for _, label in _KTP_LABELS
    )
    colon_x = 32 + int(widest) + int(rng.integers(8, 30))
    joined = rng.random() < 0.25  # some prints put the colon right after the label
    values, y = _ktp_values(card), 100
    for key, label in _KTP_LABELS:
        text = label.upper() if upper else label
        x = 32 + (26 if key in _INDENTED else 0)
        if key == "nik":
            draw.text((x, y), "NIK", font=_font(bold, 29), fill=INK)
            draw.text((colon_x, y), ":", font=_font(bold, 29), fill=INK)
            draw.text((colon_x + 18, y - 2), values["nik"], font=_font(bold, 31), fill=INK)
            y += 46
            continue
        draw.text((x, y), text + (":" if joined else ""), font=label_font, fill=INK)
        if not joined:
            draw.text((colon_x, y), ":", font=label_font, fill=INK)
        if key == "gender":
            gol = "GOL. DARAH" if upper else "Gol. Darah"
            draw.text((470, y), f"{gol} : {card.fields.get('blood_type', '-')}", font=label_font, fill=INK)
        y = _draw_value(draw, values[key], (colon_x + 16, y), value_font, 690)
    _photo_and_signature(draw, rng, _font(regular, 19), card.fields["city"])
    return image


def _draw_value(draw: ImageDraw.ImageDraw, text: str, at: tuple[int, int], font, right: int) -> int:
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
        y += int(font.size * 1.45)
    return y


def draw_npwp(card: Card, rng: np.random.Generator) -> Image.Image:
    regular, bold = font_pairs()[int(rng.integers(len(font_pairs())))]
    image = Image.new("RGB", (WIDTH, HEIGHT), (248, 248, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH - 1, HEIGHT - 1), outline=(40, 70, 140), width=10)
    draw.rectangle((0, 0, WIDTH, 22), fill=(40, 70, 140))
    draw.ellipse((40, 50, 150, 160), outline=(200, 150, 30), width=8)
    draw.polygon([(95, 70), (70, 140), (120, 140)], fill=(200, 150, 30))
    head = _font(bold, 26)
    draw.text((175, 62), "KEMENTERIAN KEUANGAN REPUBLIK INDONESIA", font=head, fill=INK)
    draw.text((175, 100), "DIREKTORAT JENDERAL PAJAK", font=head, fill=INK)
    f, size = card.fields, int(rng.integers(24, 28))
    value_font, big = _font(regular, size), _font(bold, size + 6)
    number = f["npwp"] if len(f["npwp"]) == 16 else format_npwp15(f["npwp"])
    label = "NPWP" if len(f["npwp"]) == 15 or rng.random() < 0.5 else "NPWP16"
    draw.text((60, 195), f"{label} : {number}", font=big, fill=INK)
    y = 250
    draw.text((60, y), f["name"], font=_font(bold, size), fill=INK)
    y += int(size * 1.6)
    if "nik" in f:
        draw.text((60, y), f"NIK : {f['nik']}", font=value_font, fill=INK)
        y += int(size * 1.6)
    y = _draw_value(draw, f["address"], (60, y), value_font, 900)
    draw.text((60, 520), f["kpp"], font=value_font, fill=INK)
    registered = f"Tanggal Terdaftar : {_printed_date(f['registered_date'])}"
    if rng.random() < 0.5:
        registered = registered.upper()
    draw.text((60, 560), registered, font=value_font, fill=INK)
    return image


def draw_card(card: Card, rng: np.random.Generator) -> np.ndarray:
    """The card's face as an RGB array."""
    image = draw_ktp(card, rng) if card.doc_type == "KTP" else draw_npwp(card, rng)
    return np.asarray(image)
