"""The region table, the NIK and NPWP rules: complete, Kemendagri-coded, cross-checked with stdnum."""

import hashlib
import re
from pathlib import Path

import stdnum

from idnumbers.nik import decode_nik, make_nik
from idnumbers.npwp import is_valid_npwp, is_valid_npwp15, luhn_check_digit
from idnumbers.regions import PROVINCES, printed_provinces, printed_regencies, regencies, regency

LOC_DAT = Path(stdnum.__file__).parent / "id" / "loc.dat"


def test_there_are_38_provinces_and_514_regencies_and_cities() -> None:
    assert len(PROVINCES) == 38
    # The 2022 Papua provinces repeat 26 regencies under new codes; the old codes stay valid.
    assert len({(entry.kind, entry.name) for entry in regencies().values()}) == 514
    kinds = [entry.kind for entry in regencies().values() if entry.code[:2] not in ("93", "94", "95", "96")]
    assert (kinds.count("KABUPATEN"), kinds.count("KOTA")) == (416, 98)


def test_codes_are_kemendagri_s_as_nik_carries_them() -> None:
    assert regency("1271").printed == "KOTA MEDAN"  # BPS (and loc.dat) say 1275
    assert regency("3174").printed == "JAKARTA SELATAN"  # DKI's cities print without KOTA
    assert regency("3101").printed == "KABUPATEN KEPULAUAN SERIBU"
    assert regency("3218").printed == "KABUPATEN PANGANDARAN"  # 2012, not in loc.dat
    assert regency("6571").printed == "KOTA TARAKAN"  # Kalimantan Utara, 2012
    assert regency("9671").printed == "KOTA SORONG"  # Papua Barat Daya, 2022
    assert regency("9271").printed == "KOTA SORONG"  # and the code NIKs issued before keep
    assert printed_provinces()["DAERAH KHUSUS JAKARTA"] == "31"


def test_every_name_in_stdnum_loc_dat_is_in_the_table_but_its_known_gaps() -> None:
    names: dict[str, set[str]] = {}
    for entry in regencies().values():
        names.setdefault(entry.province, set()).update({entry.name, *entry.former})
    papua = set().union(*(v for k, v in names.items() if k.startswith("PAPUA")))
    missing, province = [], None
    for line in LOC_DAT.read_text(encoding="utf-8").splitlines():
        match = re.match(r'(\s*)\d+ .*name_id="([^"]+)"', line)
        if not match:
            continue
        if not match.group(1):
            province = PROVINCES[printed_provinces()[match.group(2).upper()]]
            continue
        known = papua if province.startswith("PAPUA") else names[province]
        if match.group(2) not in known:
            missing.append((province, match.group(2)))
    # loc.dat predates Kalimantan Utara (2012) and truncates KOTABARU to BARU.
    assert missing == [("KALIMANTAN SELATAN", "BARU")] + [
        ("KALIMANTAN TIMUR", name) for name in ("MALINAU", "BULUNGAN", "NUNUKAN", "TANA TIDUNG", "TARAKAN")
    ]


def test_a_printed_name_maps_back_to_its_codes() -> None:
    assert printed_regencies()["KOTA BANDUNG"] == {"3273"}
    assert printed_regencies()["KABUPATEN BANDUNG"] == {"3204"}
    assert printed_regencies()["KABUPATEN PASANGKAYU"] == printed_regencies()["KABUPATEN MAMUJU UTARA"]


def test_a_nik_decodes_with_stdnum_s_date_rules_and_our_region_codes() -> None:
    import datetime as dt

    nik = make_nik("6571", 2, dt.date(1990, 8, 17), True, 1)
    facts = decode_nik(nik)
    assert facts is not None and facts.female and facts.day == 17
    assert facts.issuing_regency().printed == "KOTA TARAKAN"
    assert decode_nik("3171019708900001") is None  # day 97: stdnum alone takes it modulo 40
    assert decode_nik("9971011708900001") is None  # no province 99
    assert decode_nik("3171011702900000") is None  # serial 0000


def test_npwp_has_15_digits_with_a_luhn_digit_or_16_since_2024() -> None:
    head = "09123456"
    old = f"{head}{luhn_check_digit(head)}012000"
    assert is_valid_npwp15(old) and is_valid_npwp(old)
    assert is_valid_npwp("0" + old)
    assert not is_valid_npwp(old[:8] + str((int(old[8]) + 1) % 10) + old[9:])
    import datetime as dt

    assert is_valid_npwp(make_nik("3273", 5, dt.date(1988, 1, 2), False, 77))


def test_the_current_codes_are_the_514_verified_against_the_kepmendagri_of_2025() -> None:
    """SHA-256 of the 514 codes of Kepmendagri 300.2.2-2138/2025 (see regencies.dat's header).

    The 26 pre-2022 Papua codes (91xx/92xx of regencies now in 93-96) are listed apart.
    """
    moved = {
        code
        for code, entry in regencies().items()
        if code[:2] in ("91", "92")
        and any(
            other.name == entry.name and other.code[:2] in ("93", "94", "95", "96")
            for other in regencies().values()
        )
    }
    current = sorted(set(regencies()) - moved)
    assert len(current) == 514 and len(moved) == 26
    digest = hashlib.sha256(" ".join(current).encode()).hexdigest()
    assert digest == "b0f3d975c7f2a11b4d7444b4b11027ef36e3cdb068ee1b352cfe6b1380a20bb8"
    assert regency("1504").printed_forms() == ("KABUPATEN BATANG HARI", "KABUPATEN BATANGHARI")
