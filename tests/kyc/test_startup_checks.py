"""The hot reads (kyc.selectors.CompiledRead) are compiled by a system check, so a read
that cannot be compiled fails `manage.py check` (and `migrate`, `runserver`, a worker's
start) with an error naming it, instead of failing its first request."""

import os
import subprocess
import sys
import textwrap

from kyc.checks import check_compiled_reads
from kyc.selectors import CompiledRead
from tests.filot.test_settings import READING_PUBLIC_KEY, ROOT, VALID_PRODUCTION, manage

BROKEN_READS = textwrap.dedent(
    """
    import django
    django.setup()
    from django.core.management import execute_from_command_line
    from kyc.models import Document
    from kyc.selectors import CompiledRead

    MISSING_COLUMN = CompiledRead(
        lambda owner: Document.objects.filter(owner_id=owner).values_list("id", "no_such_column"),
        "owner",
        name="a read of a missing column",
    )
    UNUSED_PARAMETER = CompiledRead(
        lambda owner, other: Document.objects.filter(owner_id=owner), "owner", "other"
    )
    execute_from_command_line(["manage.py", "check"])
    """
)


def test_the_codes_compiled_reads_all_compile_at_manage_py_check():
    names = {read.name.split(" ", 1)[0] for read in CompiledRead.every()}
    assert names >= {
        "kyc.selectors._PAGE",
        "kyc.selectors._ONE",
        "kyc.selectors._STATUS",
        "kyc.selectors._REPEATED",
        "kyc.selectors._REPEATED_OR_KEYED",
        "kyc.selectors._UPLOADER",
    }
    assert check_compiled_reads() == []

    for env in (  # production settings, the database out of reach: compiling needs none
        VALID_PRODUCTION,
        {
            **VALID_PRODUCTION,
            "FILOT_ROLE": "ocr-worker",
            "DATABASE_URL": "",
            "READING_PUBLIC_KEY": READING_PUBLIC_KEY,
        },
    ):
        checked = manage("check", env=env)
        assert checked.returncode == 0, checked.stderr
        assert "System check identified no issues" in checked.stdout


def test_a_read_that_cannot_be_compiled_fails_manage_py_check_naming_it():
    checked = subprocess.run(
        [sys.executable, "-c", BROKEN_READS],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "filot.settings", **VALID_PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert checked.stderr.count("kyc.E001") == 2
    assert "The compiled read a read of a missing column cannot be compiled: FieldError" in checked.stderr
    line = next(n for n, text in enumerate(BROKEN_READS.splitlines(), 1) if "lambda owner, other" in text)
    assert (
        f"The compiled read __main__, line {line} cannot be compiled: ImproperlyConfigured" in checked.stderr
    )
