"""kyc.scoring: a KTP past its printed validity raises a reason; a lifelong one never does."""

import datetime as dt

import pytest

from kyc.scoring import KTP_EXPIRED, evaluate
from tests.kyc.test_scoring import NAME_ONLY, THRESHOLDS, ktp_fields, nobody_else, reading

TODAY = dt.date(2026, 12, 1)


def codes_and_score(valid_until: str | None, *, today: dt.date | None = TODAY) -> tuple[dict, int]:
    evaluation = evaluate(
        reading=reading("KTP", ktp_fields(valid_until=valid_until)),
        declared_type="KTP",
        applicant=NAME_ONLY,
        nik_verified_elsewhere=nobody_else,
        today=today,
    )
    return {reason.code: reason for reason in evaluation.reasons}, evaluation.score


def test_a_ktp_whose_validity_ended_yesterday_is_expired_and_costs_15() -> None:
    reasons, score = codes_and_score("2026-11-30")
    assert reasons["ktp_expired"].effect == KTP_EXPIRED == -15
    assert "2026-11-30" in reasons["ktp_expired"].message
    assert score == 85
    assert THRESHOLDS["reject_below"] <= score <= THRESHOLDS["approve_above"]  # a human looks at it


@pytest.mark.parametrize("valid_until", ["2026-12-01", "2031-05-17", "SEUMUR HIDUP", None, "17-08-20"])
def test_a_ktp_valid_today_lifelong_or_without_a_readable_date_is_not_expired(
    valid_until: str | None,
) -> None:
    reasons, score = codes_and_score(valid_until)
    assert "ktp_expired" not in reasons
    assert score == 100


def test_the_validity_is_judged_on_todays_date_by_default() -> None:
    reasons, _ = codes_and_score("2001-01-01", today=None)
    assert "ktp_expired" in reasons
    reasons, _ = codes_and_score("2999-01-01", today=None)
    assert "ktp_expired" not in reasons
