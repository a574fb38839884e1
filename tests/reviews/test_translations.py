"""The reviewer pages in Bahasa Indonesia and English: every word of their templates is
marked for translation, every marked string has an Indonesian translation, and the
compiled catalogue is the one the .po file says."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from django.utils import translation
from django.utils.translation.template import templatize

from kyc.models import Profile

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [*(ROOT / "templates/reviews").glob("*.html"), *(ROOT / "templates/admin").rglob("*.html")]
)
CATALOGUE = ROOT / "locale/id/LC_MESSAGES/django.po"
PY_SOURCES = [
    *(ROOT / "reviews").rglob("*.py"),
    ROOT / "kyc/admin.py",
    ROOT / "kyc/labels.py",
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
        words = re.findall(r"[^\W\d_]{2,}", piece)
        found += [word for word in words if word not in ("NIK", "NPWP", "KTP", "BULI")]
    return found


def catalogue() -> dict[str, str]:
    entries = {}
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block:
            entries.setdefault("__fuzzy__", block)
        head = block.split("msgstr")[0].split("msgid_plural")[0]  # a plural: its singular
        msgid = "".join(re.findall(r'"(.*)"', head.split("msgid", 1)[-1]))
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[-1].split("msgstr[1]")[0]))
        if msgid:
            entries[msgid.replace('\\"', '"')] = msgstr
    return entries


def marked_strings() -> set[str]:
    strings = set()
    for template in TEMPLATES:
        code = templatize(template.read_text(encoding="utf-8"), origin=str(template))
        strings |= set(re.findall(r"\bgettext\(u?'((?:[^'\\]|\\.)*)'\)", code))
        strings |= set(re.findall(r"\bngettext\(u?'((?:[^'\\]|\\.)*)'", code))
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


# --- every reviewer page, rendered -----------------------------------------------------
DJANGO_CATALOGUES = [
    Path(django.__file__).parent / "contrib/admin/locale/id/LC_MESSAGES/django.po",
    Path(django.__file__).parent / "conf/locale/id/LC_MESSAGES/django.po",
]
# Where a page shows stored data (names, emails, codes, reviewers' words) as it is.
DATA_ATTRIBUTE = ("translate", "no")
SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")


class VisibleText(HTMLParser):
    """The text a reviewer reads: text nodes and the attributes shown as text, without
    scripts, styles and elements marked translate="no" (stored data)."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "col", "area", "base", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self.stack: list[bool] = []  # per open element: is it hidden (script, style, data)?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = (self.stack and self.stack[-1]) or tag in ("script", "style") or DATA_ATTRIBUTE in attrs
        if not hidden:
            self.segments += [value.strip() for name, value in attrs if name in SHOWN_ATTRIBUTES and value]
            if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
                self.segments.append((dict(attrs).get("value") or "").strip())
        if tag not in self.VOID:
            self.stack.append(bool(hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.segments.append(" ".join(data.split()))


def visible_segments(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [segment for segment in parser.segments if segment]


def translations() -> dict[str, str]:
    """Our catalogue and Django's Indonesian ones: English -> Indonesian."""
    entries = {msgid: msgstr for msgid, msgstr in catalogue().items() if msgstr}
    for path in DJANGO_CATALOGUES:
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            if "msgid_plural" in block or "#, fuzzy" in block:
                continue
            msgid = "".join(re.findall(r'"(.*)"', block.split("msgstr")[0].split("msgid", 1)[-1]))
            msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[-1])) if "msgstr" in block else ""
            if msgid and msgstr:
                entries.setdefault(msgid, msgstr)
    return entries


def english_msgids() -> set[str]:
    """Every English string the catalogues translate into other Indonesian words."""
    strings = {msgid for msgid, msgstr in translations().items() if msgstr != msgid}
    return {s for s in strings if "%" not in s and "{" not in s and re.search(r"[a-z]{3}", s)}


def same_in_both() -> set[str]:
    """Words Indonesian writes as English does (the catalogues translate them as themselves:
    "Filter", "Format", "status", "valid", "total"...), and names of things."""
    words = {"email", "buli2", "django", "wib", "sla", "ocr"}
    for msgid, msgstr in translations().items():
        if msgid == msgstr:
            words |= {word.lower() for word in re.findall(r"[A-Za-z]{3,}", msgid)}
    return words


@pytest.fixture
def reviewer_pages(client, alice, bob, rita_reviewer, sam):
    """Every page a reviewer opens, with something on each: alice's NPWP and KTP waiting
    (the KTP claimed by rita), bob's KTP claimed by sam, rita allowed to reveal."""
    from django.contrib.auth.models import Permission

    from kyc.models import Profile
    from reviews import services
    from tests.kyc.decided import BIRTH, NAME, decide_reading, ktp_reading, npwp_reading
    from tests.reviews.cases import similar_name

    Profile.objects.filter(user=alice).update(full_name=similar_name(NAME), date_of_birth=BIRTH)
    npwp = decide_reading(alice, npwp_reading(low=("name",)))
    ktp = decide_reading(alice, ktp_reading(valid_until="2020-01-31"))
    other = decide_reading(bob, ktp_reading(name="SITI RAHMAWATI"))
    services.claim_review(review_id=ktp.manual_review.pk, user=rita_reviewer)
    services.claim_review(review_id=other.manual_review.pk, user=sam)
    services.fail_review(review_id=npwp.manual_review.pk, reason="photo unclear", actor=services.SYSTEM)
    services.reopen_review(review_id=npwp.manual_review.pk, user=rita_reviewer)
    rita_reviewer.user_permissions.add(Permission.objects.get(codename="reveal_nik"))
    client.force_login(rita_reviewer)
    review = "/admin/reviews/manualreview/"
    cases = f"{review}cases/"
    pages = {
        "index": "/admin/",
        "review queue": review,
        "review queue, every state, filtered": f"{review}?state=all&age=lt1h&doc_type=KTP",
        "review page, claimed by me": f"{review}{ktp.manual_review.pk}/review/",
        "review page, claimed by another": f"{review}{other.manual_review.pk}/review/",
        "review page, open": f"{review}{npwp.manual_review.pk}/review/",
        "case queue": cases,
        "KTP case page": f"{cases}{alice.pk}/?document={ktp.pk}",
        "NPWP case page": f"{cases}{alice.pk}/?document={npwp.pk}",
        "case held by another": f"{cases}{bob.pk}/",
        "documents": "/admin/kyc/document/",
        "documents, filtered": "/admin/kyc/document/?status=needs_review&doc_type=NPWP",
        "document": f"/admin/kyc/document/{ktp.pk}/change/",
        "profiles": "/admin/kyc/profile/",
        "profile": f"/admin/kyc/profile/{alice.profile.pk}/change/",
    }
    return client, pages


def render(client: object, url: str, language: str) -> str:
    client.cookies["django_language"] = language  # what the language switch sets
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == language
    return response.content.decode()


def test_no_reviewer_page_shows_an_english_string_in_indonesian(reviewer_pages) -> None:
    """Each page rendered in Indonesian: no English msgid of our catalogue or Django's is
    left, and nothing reads the same as in English but stored data."""
    client, pages = reviewer_pages
    names = {word for name in Profile.objects.values_list("full_name", flat=True) for word in name.split()}
    english, same = english_msgids(), same_in_both()
    assert {"Review queue", "Approve", "Save", "Log out"} <= english  # ours and Django's admin
    sentences = {s for s in english if len(s.split()) >= 3}
    left: dict[str, list[str]] = {}
    for name, url in pages.items():
        indonesian = visible_segments(render(client, url, "id"))
        text = " ".join(indonesian)
        found = [s for s in indonesian if s in english or s.rstrip(":.") in english]
        found += [s for s in sentences if s in text]
        # What reads the same in both languages must be data: no word of English prose.
        in_english = set(visible_segments(render(client, url, "en")))
        found += [s for s in indonesian if s in in_english and english_prose(s, names, same)]
        if found:
            left[name] = sorted(set(found))
    assert left == {}


def english_prose(segment: str, names: set[str], same: set[str]) -> bool:
    """Does a segment hold a word (3+ letters) that is not a code, an address, a card's
    printed value (capitals), or one of the applicants' `names`?"""
    words = re.sub(r"\S*[@_/:]\S*|\S*\d\S*", " ", segment)  # emails, codes, paths, times, numbers
    return any(
        word.lower() not in same and not word.isupper() and word not in names
        for word in re.findall(r"\b[A-Za-z]{3,}\b", words)
    )
