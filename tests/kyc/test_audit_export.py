"""`manage.py export_audit --since DATE [--format jsonl|csv]`: the whole audit trail."""

import csv
import json
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from kyc import services
from kyc.models import User
from reviews import services as review_services
from tests.kyc.test_erasure import needing_review

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    out = StringIO()
    call_command("export_audit", *args, stdout=out)
    return out.getvalue()


def test_every_kind_of_audit_row_is_exported(alice, bob, rita, settings):
    document = needing_review(alice, settings)
    rita.user_permissions.add(Permission.objects.get(codename="reveal_nik"))
    rita = User.objects.get(pk=rita.pk)
    review_services.record_nik_reveal(review=document.manual_review, user=rita, reason="name check")
    services.export_personal_data(user=bob, actor_kind="user", actor_id=str(bob.pk))
    services.place_legal_hold(user=bob, reason="inquiry", placed_by=rita)
    services.lift_legal_hold(user=bob, lifted_by=rita)
    services.erase_personal_data(
        user_id=bob.pk, actor_kind="operator", actor_id=str(rita.pk), reason="ticket 9"
    )

    rows = [json.loads(line) for line in export("--since", "2020-01-01").splitlines()]
    actions = {(row["trail"], row["action"]) for row in rows}
    assert {("document", "transition"), ("review", "opened"), ("review", "nik_revealed")} <= actions
    assert {
        ("privacy", "exported"),
        ("privacy", "erased"),
        ("privacy", "hold_placed"),
        ("privacy", "hold_lifted"),
    } <= actions
    assert [row["at"] for row in rows] == sorted(row["at"] for row in rows)
    reveal = next(row for row in rows if row["action"] == "nik_revealed")
    assert (reveal["actor_id"], reveal["reason"], reveal["subject_id"]) == (
        str(rita.pk),
        "name check",
        str(alice.pk),
    )

    table = list(csv.DictReader(StringIO(export("--since", "2020-01-01", "--format", "csv"))))
    assert len(table) == len(rows) and {"at", "trail", "action", "actor_kind", "reason"} <= set(table[0])
    assert export("--since", "2999-01-01") == ""


@pytest.mark.parametrize("args", [["--since", "yesterday"], ["--since", "2026-13-01"], []])
def test_a_bad_date_is_a_clear_error(args):
    with pytest.raises(CommandError):
        export(*args)
