"""`manage.py rotate_nik_keys`: every encrypted value moves to the newest key, resumably."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from kyc.models import OcrResult, Profile
from tests.factories import document_row

pytestmark = pytest.mark.django_db
NIK = "3171015708900002"  # synthetic


def raw(table: str, column: str, pk_column: str, pk: object) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def rotate() -> str:
    out = StringIO()
    call_command("rotate_nik_keys", "--batch-size", "2", stdout=out)
    return out.getvalue()


def test_every_encrypted_value_moves_to_the_newest_key_and_a_second_run_has_nothing_left(
    settings, alice, bob, make_user
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NIK_ENCRYPTION_KEYS = [old]
    carol = make_user("carol@example.com")
    for user in (alice, bob, carol):
        Profile.objects.filter(user=user).update(nik=NIK)
    document = document_row(alice)
    OcrResult.objects.create(document=document, doc_type="KTP", fields={"nik": NIK, "name": "ALICE"})

    settings.NIK_ENCRYPTION_KEYS = [new, old]
    first = rotate()

    assert "kyc_profile.nik: 3 rotated, 0 already current" in first
    assert "kyc_ocrresult.fields: 1 rotated, 0 already current" in first
    assert first.strip().endswith("rotated 4 values")
    token = raw("kyc_profile", "nik", "user_id", alice.pk)
    assert Fernet(new.encode()).decrypt(token.encode()).decode() == NIK
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(token.encode())

    # Resumable: what is already under the newest key is skipped.
    assert rotate().strip().endswith("rotated 0 values")

    settings.NIK_ENCRYPTION_KEYS = [new]  # the old key retired: everything still reads
    assert {p.nik for p in Profile.objects.filter(user__in=[alice, bob, carol])} == {NIK}
    assert OcrResult.objects.get(pk=document.pk).fields == {"nik": NIK, "name": "ALICE"}
