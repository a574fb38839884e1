"""Indonesia's 38 provinces and 514 regencies/cities, by the Kemendagri codes a NIK carries.

A regency's name is printed on the KTP's second header line as `KABUPATEN <NAME>` or
`KOTA <NAME>`; the cities of DKI Jakarta print without KOTA (`JAKARTA SELATAN`), and
Kepulauan Seribu is a `KABUPATEN ADMINISTRASI`. Codes PP01..PP69 are regencies
(kabupaten), PP71..PP99 cities (kota).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("regencies.dat")

# Kemendagri province codes and the names printed after PROVINSI on the KTP.
PROVINCES: dict[str, str] = {
    "11": "ACEH", "12": "SUMATERA UTARA", "13": "SUMATERA BARAT", "14": "RIAU", "15": "JAMBI",
    "16": "SUMATERA SELATAN", "17": "BENGKULU", "18": "LAMPUNG", "19": "KEPULAUAN BANGKA BELITUNG",
    "21": "KEPULAUAN RIAU", "31": "DKI JAKARTA", "32": "JAWA BARAT", "33": "JAWA TENGAH",
    "34": "DAERAH ISTIMEWA YOGYAKARTA", "35": "JAWA TIMUR", "36": "BANTEN", "51": "BALI",
    "52": "NUSA TENGGARA BARAT", "53": "NUSA TENGGARA TIMUR", "61": "KALIMANTAN BARAT",
    "62": "KALIMANTAN TENGAH", "63": "KALIMANTAN SELATAN", "64": "KALIMANTAN TIMUR",
    "65": "KALIMANTAN UTARA", "71": "SULAWESI UTARA", "72": "SULAWESI TENGAH", "73": "SULAWESI SELATAN",
    "74": "SULAWESI TENGGARA", "75": "GORONTALO", "76": "SULAWESI BARAT", "81": "MALUKU",
    "82": "MALUKU UTARA", "91": "PAPUA", "92": "PAPUA BARAT",
    # The provinces of 2022 (UU 14, 15 and 16/2022; UU 29/2022), Kepmendagri 100.1.1-6117/2022.
    "93": "PAPUA SELATAN", "94": "PAPUA TENGAH", "95": "PAPUA PEGUNUNGAN", "96": "PAPUA BARAT DAYA",
}  # fmt: skip
# Other names a card may print for a province: older spellings and DKI's name since UU 2/2024.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "31": ("DAERAH KHUSUS IBUKOTA JAKARTA", "DAERAH KHUSUS JAKARTA"),
    "34": ("DI YOGYAKARTA",),
    "19": ("BANGKA BELITUNG",),
}
_WITHOUT_KIND = {"31"}  # DKI Jakarta prints its cities' names alone


@dataclass(frozen=True)
class Regency:
    code: str  # four digits, PPKK
    name: str  # the bare name, e.g. BANDUNG
    kind: str  # KABUPATEN or KOTA
    former: tuple[str, ...] = ()  # earlier or alternative spellings of the bare name

    @property
    def province(self) -> str:
        return PROVINCES[self.code[:2]]

    @property
    def printed(self) -> str:
        """The name as the KTP header prints it."""
        if self.code[:2] in _WITHOUT_KIND and self.kind == "KOTA":
            return self.name
        return f"{self.kind} {self.name}"

    def printed_forms(self) -> tuple[str, ...]:
        """Every way a card may print this regency: current and former names, with and without kind."""
        forms = [self.printed]
        for name in (self.name, *self.former):
            forms += (
                [f"{self.kind} {name}", name] if self.code[:2] in _WITHOUT_KIND else [f"{self.kind} {name}"]
            )
        if self.code == "3101":
            forms.append(f"KABUPATEN ADMINISTRASI {self.name}")
        return tuple(dict.fromkeys(forms))


@cache
def regencies() -> dict[str, Regency]:
    """Every regency and city by its four-digit code."""
    found = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, names = line.partition(" ")
        name, *former = names.split("|")
        kind = "KABUPATEN" if int(code[2:]) < 70 else "KOTA"
        found[code] = Regency(code, name, kind, tuple(former))
    return found


def regency(code: str) -> Regency | None:
    return regencies().get(code)


@cache
def printed_regencies() -> dict[str, frozenset[str]]:
    """Every printed form of a regency name -> the codes that print it (a name may have two codes)."""
    names: dict[str, set[str]] = {}
    for code, entry in regencies().items():
        for form in entry.printed_forms():
            names.setdefault(form, set()).add(code)
    return {name: frozenset(codes) for name, codes in names.items()}


@cache
def printed_provinces() -> dict[str, str]:
    """Every printed form of a province name -> its code."""
    names = {name: code for code, name in PROVINCES.items()}
    for code, aliases in PROVINCE_ALIASES.items():
        names |= dict.fromkeys(aliases, code)
    return names


# The canonical printed name of every regency, by code: the generator draws from it.
REGENCIES: dict[str, str] = {code: entry.printed for code, entry in regencies().items()}
