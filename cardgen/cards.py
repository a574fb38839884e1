"""Synthetic KTP and NPWP cards: identities, faces and phone photos, deterministic by seed.

Everything here is invented: names and streets come from short word lists, NIKs are
built from the real region-code structure but random dates and serials. About one KTP
in twelve gets a NIK that contradicts its printed birth date or gender, so the fraud
check has something to find.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from idnumbers.nik import make_nik
from idnumbers.npwp import luhn_check_digit
from idnumbers.regions import PROVINCES, REGENCIES, regencies

DIFFICULTIES = ("clean", "photo", "hard")
_MIX = (0.3, 0.45, 0.25)
_FIRST = [
    "BUDI",
    "AGUS",
    "DEWI",
    "SITI",
    "RINA",
    "ANDI",
    "EKO",
    "SRI",
    "NUR",
    "HENDRA",
    "YULI",
    "DIAN",
    "RUDI",
    "TRI",
    "WAHYU",
    "PUTRI",
    "INDAH",
    "FAJAR",
    "RIZKY",
    "ADI",
    "BAYU",
    "LESTARI",
    "AYU",
    "DWI",
    "IKA",
    "RATNA",
    "JOKO",
    "SUSI",
    "ANISA",
    "REZA",
    "GILANG",
    "NOVI",
    "FITRI",
    "BAMBANG",
    "HERU",
    "YUDI",
    "WULAN",
    "MEGA",
    "TAUFIK",
    "IRWAN",
    "MAYA",
    "DEDI",
    "KARTIKA",
    "LINDA",
]
_LAST = [
    "SANTOSO",
    "WIJAYA",
    "SAPUTRA",
    "PRATAMA",
    "LESTARI",
    "HIDAYAT",
    "KURNIAWAN",
    "SETIAWAN",
    "NUGROHO",
    "RAHMAWATI",
    "PURNAMA",
    "SIREGAR",
    "NASUTION",
    "SIMANJUNTAK",
    "HARAHAP",
    "GUNAWAN",
    "SUSANTO",
    "WIBOWO",
    "HALIM",
    "TANJUNG",
    "MAHENDRA",
    "PERMANA",
    "SUGIARTO",
    "KUSUMA",
    "ANGGRAINI",
    "FIRMANSYAH",
    "RAMADHAN",
]
_STREETS = [
    "MERDEKA",
    "SUDIRMAN",
    "DIPONEGORO",
    "GATOT",
    "SUBROTO",
    "MANGGA",
    "DUA",
    "MELATI",
    "KENANGA",
    "CEMPAKA",
    "PAHLAWAN",
    "VETERAN",
    "PEMUDA",
    "ANGGREK",
    "FLAMBOYAN",
    "BERINGIN",
    "KAMBOJA",
    "RAYA",
    "BOGOR",
    "CENDRAWASIH",
]
_PLACES = [
    "SUKAMAJU",
    "SUKARAME",
    "CIBUBUR",
    "KEBAYORAN",
    "TEGALSARI",
    "KARANGANYAR",
    "MEKARSARI",
    "BOJONGSARI",
    "PASIRJATI",
    "SIDOREJO",
    "SUKOLILO",
    "WONOSARI",
    "BANYUWANGI",
    "CILANDAK",
    "TANJUNGSARI",
    "PURWODADI",
    "GUNUNGSARI",
    "MARGAHAYU",
    "CIPAYUNG",
    "KEDUNGWUNI",
]
_RELIGIONS = ("ISLAM", "ISLAM", "ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KONGHUCU")
_MARITAL = ("BELUM KAWIN", "KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")
OCCUPATIONS = (
    "KARYAWAN SWASTA",
    "PELAJAR/MAHASISWA",
    "WIRASWASTA",
    "PEGAWAI NEGERI SIPIL",
    "MENGURUS RUMAH TANGGA",
    "PETANI/PEKEBUN",
    "GURU",
    "PEDAGANG",
    "BURUH HARIAN LEPAS",
    "DOKTER",
    "BELUM/TIDAK BEKERJA",
)
_BLOOD = ("A", "B", "AB", "O", "-")


@dataclass
class Card:
    doc_type: str
    difficulty: str
    fields: dict[str, str]
    printed: dict[str, str] = field(default_factory=dict)
    expected_checks: list[str] = field(default_factory=list)


def _pick(rng: np.random.Generator, items: tuple | list) -> str:
    return items[int(rng.integers(len(items)))]


def _name(rng: np.random.Generator) -> str:
    words = [_pick(rng, _FIRST)] + [_pick(rng, _LAST) for _ in range(int(rng.integers(1, 3)))]
    return " ".join(words)


def _address(rng: np.random.Generator) -> str:
    street = " ".join(_pick(rng, _STREETS) for _ in range(int(rng.integers(1, 3))))
    kind = _pick(rng, ("JL.", "JL.", "JALAN", "GG.", "PERUM"))
    tail = f"NO. {int(rng.integers(1, 200))}"
    if rng.random() < 0.35:
        tail = f"BLOK {_pick(rng, 'ABCDEFGH')}{int(rng.integers(1, 20))} {tail}"
    return f"{kind} {street} {tail}"


def _date(rng: np.random.Generator, first: int, last: int) -> dt.date:
    start = dt.date(first, 1, 1).toordinal()
    return dt.date.fromordinal(start + int(rng.integers(dt.date(last, 12, 31).toordinal() - start)))


def _region(rng: np.random.Generator) -> tuple[str, str, str]:
    code = _pick(rng, sorted(REGENCIES))
    return code, PROVINCES[code[:2]], REGENCIES[code]


def make_ktp(rng: np.random.Generator, difficulty: str) -> Card:
    code, province, city = _region(rng)
    birth, female = _date(rng, 1950, 2005), bool(rng.random() < 0.5)
    nik_birth, nik_female, checks = birth, female, []
    if rng.random() < 1 / 12:
        if rng.random() < 0.5:
            nik_birth, checks = (
                birth + dt.timedelta(days=int(rng.integers(1, 300))),
                ["nik_birth_date_mismatch"],
            )
        else:
            nik_female, checks = not female, ["nik_gender_mismatch"]
    nik = make_nik(code, int(rng.integers(1, 40)), nik_birth, nik_female, int(rng.integers(1, 9999)))
    blood = _pick(rng, _BLOOD)
    valid = "SEUMUR HIDUP" if rng.random() < 0.8 else _date(rng, 2017, 2022).isoformat()
    fields = {
        "nik": nik,
        "name": _name(rng),
        "birth_place": _pick(rng, [*_PLACES, *(r.name for r in regencies().values())]),
        "birth_date": birth.isoformat(),
        "gender": "FEMALE" if female else "MALE",
        "blood_type": blood,
        "address": _address(rng),
        "rt_rw": f"{int(rng.integers(1, 20)):03d}/{int(rng.integers(1, 15)):03d}",
        "village": _pick(rng, _PLACES),
        "district": _pick(rng, _PLACES),
        "religion": _pick(rng, _RELIGIONS),
        "marital_status": _pick(rng, _MARITAL),
        "occupation": _pick(rng, OCCUPATIONS),
        "nationality": "WNI",
        "valid_until": valid,
        "province": province,
        "city": city,
    }
    if blood == "-":
        del fields["blood_type"]  # printed as a dash: nothing to read
    return Card("KTP", difficulty, fields, expected_checks=checks)


def make_npwp(rng: np.random.Generator, difficulty: str) -> Card:
    code, _, city = _region(rng)
    birth, female = _date(rng, 1950, 2005), bool(rng.random() < 0.5)
    nik = make_nik(code, int(rng.integers(1, 40)), birth, female, int(rng.integers(1, 9999)))
    kpp_code = f"{int(rng.integers(1, 999)):03d}"
    if rng.random() < 0.2:
        npwp = nik  # since 2024 the NIK itself serves as the NPWP
    else:
        head = f"{_pick(rng, ('07', '08', '09', '04', '06'))}{int(rng.integers(0, 999999)):06d}"
        npwp = f"{head}{luhn_check_digit(head)}{kpp_code}000"
        if rng.random() < 0.15:
            npwp = "0" + npwp  # the 16-digit form of an old number (since mid-2024)
    town = town_of(city)
    fields = {
        "npwp": npwp,
        "name": _name(rng),
        "address": f"{_address(rng)} RT {int(rng.integers(1, 20)):03d} RW {int(rng.integers(1, 15)):03d} "
        f"{_pick(rng, _PLACES)} {town}",
        "kpp": f"KPP PRATAMA {town} {_pick(rng, _PLACES)}",
        "registered_date": _date(rng, 2005, 2023).isoformat(),
    }
    if npwp != nik and rng.random() < 0.7:
        fields["nik"] = nik
    return Card("NPWP", difficulty, fields)


def town_of(city: str) -> str:
    """The bare town name of a printed regency name (`KOTA BANDUNG` -> `BANDUNG`)."""
    return city.removeprefix("KABUPATEN ").removeprefix("KOTA ")


def make_card(seed: int, index: int) -> tuple[Card, np.random.Generator]:
    """The index-th card of a set: each card has its own stream, so sets are prefix-stable."""
    rng = np.random.default_rng([seed, index])
    difficulty = DIFFICULTIES[int(rng.choice(3, p=_MIX))]
    card = make_ktp(rng, difficulty) if rng.random() < 0.55 else make_npwp(rng, difficulty)
    return card, rng


def card_photo(doc_type: str, difficulty: str, seed: int, yardstick: str = "tuning") -> tuple[Card, bytes]:
    """One card of the given type and difficulty (for tests and demos)."""
    from cardgen.cardart import draw_card
    from cardgen.cardphotos import photograph

    rng = np.random.default_rng([seed, 7919])
    card = make_ktp(rng, difficulty) if doc_type == "KTP" else make_npwp(rng, difficulty)
    return card, photograph(draw_card(card, rng, yardstick), difficulty, rng, yardstick)


def render_card(seed: int, index: int, yardstick: str = "tuning") -> tuple[Card, bytes]:
    """A card and its photo as JPEG bytes."""
    from cardgen.cardart import draw_card
    from cardgen.cardphotos import photograph

    card, rng = make_card(seed, index)
    face = draw_card(card, rng, yardstick)
    return card, photograph(face, card.difficulty, rng, yardstick)


def write_sample_set(out: Path, count: int, seed: int, yardstick: str = "tuning") -> Path:
    """Write `count` card photos and `truth.jsonl` into `out`; returns the truth file."""
    out.mkdir(parents=True, exist_ok=True)
    truth = out / "truth.jsonl"
    with truth.open("w", encoding="utf-8") as lines:
        for index in range(count):
            card, jpeg = render_card(seed, index, yardstick)
            name = f"{card.doc_type.lower()}-{index:04d}.jpg"
            (out / name).write_bytes(jpeg)
            record = {
                "file": name,
                "doc_type": card.doc_type,
                "difficulty": card.difficulty,
                "yardstick": yardstick,
                "fields": card.fields,
                "expected_checks": card.expected_checks,
            }
            lines.write(json.dumps(record) + "\n")
    return truth
