"""The reviewer pages in Bahasa Indonesia and English: every word of their templates is
marked for translation, every marked string has an Indonesian translation, and the
compiled catalogue is the one the .po file says."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates/reviews").glob("case*.html"))
CATALOGUE = ROOT / "locale/id/LC_MESSAGES/django.po"
PY_SOURCES = [
    ROOT / "reviews" / name for name in ("cards.py", "cases.py", "case_selectors.py", "reason_texts.py")
]


def visible_text(template: str) -> list[str]:
    """What a template shows that is not produced by a tag or variable: it must hold no word."""
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", template, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", " ", text, flags=re.S)
    attributes = re.findall(r'\b(?:title|alt|aria-label|placeholder)="([^"]*)"', text)
    text = re.sub(r"<[^>]+>", " ", text)
    found = []
    for piece in [text, *attributes]:
        piece = re.sub(r"{%.*?%}|{{.*?}}|&\w+;", " ", piece, flags=re.S)
        found += [word for word in re.findall(r"[^\W\d_]{2,}", piece) if word not in ("NIK", "NPWP", "KTP")]
    return found


def catalogue() -> dict[str, str]:
    entries = {}
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block:
            entries.setdefault("__fuzzy__", block)
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgstr")[0].split("msgid", 1)[-1]))
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[-1])) if "msgstr" in block else ""
        if msgid:
            entries[msgid.replace('\\"', '"')] = msgstr
    return entries


def marked_strings() -> set[str]:
    strings = set()
    for template in TEMPLATES:
        code = templatize(template.read_text(encoding="utf-8"), origin=str(template))
        strings |= {found[1] for found in re.findall(r"gettext\(u?(['\"])(.*?)\1\)", code)}
    for source in PY_SOURCES:
        code = source.read_text(encoding="utf-8")
        strings |= set(re.findall(r'\b(?:_|gettext|gettext_lazy)\(\s*"((?:[^"\\]|\\.)*)"', code))
    return strings


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_reviewer_page_template_shows_an_untranslated_word(template: Path) -> None:
    assert visible_text(template.read_text(encoding="utf-8")) == []


def test_every_string_of_the_reviewer_pages_has_an_indonesian_translation() -> None:
    entries = catalogue()
    assert "__fuzzy__" not in entries or entries["__fuzzy__"].startswith('msgid ""'), "fuzzy entries"
    strings = marked_strings()
    assert len(strings) > 100
    missing = sorted(s for s in strings if not entries.get(s))
    assert missing == []


def test_the_compiled_catalogue_is_the_po_file_compiled(tmp_path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.fail("msgfmt (Debian's gettext) is missing: `make test` installs it.")
    compiled = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check", "-o", str(compiled), str(CATALOGUE)], check=True)
    assert compiled.read_bytes() == CATALOGUE.with_suffix(".mo").read_bytes(), "run compilemessages"


def test_indonesian_and_english_both_come_out_of_the_catalogue() -> None:
    with translation.override("id"):
        assert translation.gettext("Valid until") == "Berlaku Hingga"
        assert translation.gettext("Approve") == "Setujui"
    with translation.override("en"):
        assert translation.gettext("Valid until") == "Valid until"
