"""How a synthetic card is printed and photographed: one of two families of styles.

The *tuning* styles are what the engine is developed against. The *evaluation* styles are
reserved for measuring it and are never used to tune it (issue 10): other fonts, another
placement, size and spacing of the print, other label spellings and casings, date
separators, and other capture conditions and backgrounds (cardphotos). A card set is one
family or the other (`make_sample_cards --yardstick`), so the benchmark can report a
yardstick the engine was not shaped on.

Both families print what real cards print, from public descriptions of the e-KTP and the
NPWP card: labels in title case or upper case, `Tempat/Tgl Lahir` also as `Tempat/Tgl.
Lahir`, a blood type `-` when none is recorded, DKI Jakarta's cities without KOTA, dates
as DD-MM-YYYY (some prints and scans: `/` or `.`), the NPWP's `Tanggal Terdaftar` also as
`Terdaftar`, and since mid-2024 the 16-digit NPWP (the NIK, or 0 + the old number).
"""

from dataclasses import dataclass

import numpy as np

YARDSTICKS = ("tuning", "evaluation")
# (regular, bold) font files under /usr/share/fonts/truetype, per family.
FONTS = {
    "tuning": (
        ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
        ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
        ("liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf"),
    ),
    "evaluation": (
        ("freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf"),
        ("liberation2/LiberationSerif-Regular.ttf", "liberation2/LiberationSerif-Bold.ttf"),
        ("dejavu/DejaVuSerifCondensed.ttf", "dejavu/DejaVuSerifCondensed-Bold.ttf"),
    ),
}
_BIRTH_LABELS = {
    "tuning": ("Tempat/Tgl Lahir",),
    "evaluation": ("Tempat/Tgl. Lahir", "Tempat / Tgl Lahir", "Tempat/Tgl.Lahir"),
}
_BLOOD_LABELS = {"tuning": ("Gol. Darah",), "evaluation": ("Gol Darah", "Gol.Darah")}
_REGISTERED_LABELS = {"tuning": ("Tanggal Terdaftar",), "evaluation": ("Terdaftar", "Tgl Terdaftar")}
_SEPARATORS = {"tuning": ("-", "-", "-", "/"), "evaluation": ("-", ".", "/")}


@dataclass(frozen=True)
class Style:
    yardstick: str
    fonts: tuple[str, str]
    size: int  # label and value font size, px in the 1000 x 630 face
    spacing: float  # line pitch as a multiple of the size
    left: int  # where labels start
    top: int  # where the NIK row starts
    colon_gap: int  # from the widest label to the colon column
    header_size: int
    header_top: int
    upper_labels: bool
    joined_colon: bool  # `Nama:` instead of `Nama   :`
    birth_label: str
    blood_label: str
    registered_label: str
    date_separator: str
    photo_left: int  # the KTP photo's left edge
    npwp_grouped: bool  # a 16-digit NPWP printed in groups of four


def _pick(rng: np.random.Generator, items: tuple) -> object:
    return items[int(rng.integers(len(items)))]


def draw_style(rng: np.random.Generator, yardstick: str) -> Style:
    if yardstick not in YARDSTICKS:
        raise ValueError(f"unknown yardstick {yardstick!r}: one of {YARDSTICKS}")
    if yardstick == "tuning":
        return Style(
            yardstick, _pick(rng, FONTS[yardstick]), int(rng.integers(20, 24)), 1.45, 32, 100,
            int(rng.integers(8, 30)), 27, 18, bool(rng.random() < 0.4), bool(rng.random() < 0.25),
            _BIRTH_LABELS[yardstick][0], _BLOOD_LABELS[yardstick][0], _REGISTERED_LABELS[yardstick][0],
            _pick(rng, _SEPARATORS[yardstick]), 745, False,
        )  # fmt: skip
    size = int(rng.integers(18, 26))
    return Style(
        yardstick, _pick(rng, FONTS[yardstick]), size, float(rng.uniform(1.3, 1.65)),
        int(rng.integers(18, 70)), int(rng.integers(88, 118)), int(rng.integers(4, 40)),
        int(rng.integers(23, 31)), int(rng.integers(8, 26)), bool(rng.random() < 0.5),
        bool(rng.random() < 0.3), _pick(rng, _BIRTH_LABELS[yardstick]), _pick(rng, _BLOOD_LABELS[yardstick]),
        _pick(rng, _REGISTERED_LABELS[yardstick]), _pick(rng, _SEPARATORS[yardstick]),
        int(rng.integers(720, 770)), bool(rng.random() < 0.5),
    )  # fmt: skip
