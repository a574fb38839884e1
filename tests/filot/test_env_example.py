"""`.env.example` lists exactly the variables the code reads."""

import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".data", "tests", "node_modules", ".git"}

# env.str("NAME"...), env.secret(...), os.environ.get("NAME"), os.environ["NAME"], os.getenv("NAME")
PYTHON_READS = re.compile(
    r"""(?:\benv\.\w+|os\.environ\.get|os\.getenv|environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
)
MAKEFILE_READS = re.compile(r"^([A-Z][A-Z0-9_]+)\s*\?=", re.MULTILINE)
# Read by Django and Python themselves, not by FiLot's code.
PLATFORM = {"DJANGO_SETTINGS_MODULE"}


def python_files():
    for path in ROOT.rglob("*.py"):
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def variables_read_by_the_code() -> dict[str, str]:
    found = {}
    for path in python_files():
        for match in PYTHON_READS.finditer(path.read_text()):
            found.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
    for match in MAKEFILE_READS.finditer((ROOT / "Makefile").read_text()):
        found.setdefault(match.group(1), "Makefile")
    return {name: where for name, where in found.items() if name not in PLATFORM}


def variables_in_env_example() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_every_variable_the_code_reads_is_in_env_example():
    missing = {
        name: where
        for name, where in variables_read_by_the_code().items()
        if name not in variables_in_env_example()
    }
    assert missing == {}


def test_env_example_lists_nothing_the_code_does_not_read():
    assert variables_in_env_example() - set(variables_read_by_the_code()) == set()


def test_every_variable_in_env_example_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    uncommented = [
        line.split("=")[0]
        for previous, line in itertools.pairwise(lines)
        if re.match(r"^[A-Z][A-Z0-9_]+=", line) and not previous.startswith("#")
    ]
    assert uncommented == []


def test_the_scanner_sees_the_settings_reads():
    # Guards the regular expression itself: these are read in filot/settings.py.
    found = variables_read_by_the_code()
    assert {"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "CF_R2_BUCKET_NAME", "OCR_GPU_PUBLISH_CHANNEL"} <= set(
        found
    )
    assert found["PORT"] == "Makefile"
