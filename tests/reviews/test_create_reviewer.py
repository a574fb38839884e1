"""`manage.py create_reviewer EMAIL [--can-reveal]`: a production reviewer account."""

import io

import pytest
from django.core.management import CommandError, call_command

from kyc.models import User

PASSWORD = "a-long-reviewer-passphrase-7"


def create(*args: str, password: str = PASSWORD) -> str:
    out = io.StringIO()
    call_command("create_reviewer", *args, "--password-stdin", stdin=io.StringIO(password + "\n"), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_creates_a_staff_reviewer_who_can_review_but_not_reveal(client):
    out = create("Dewi@Filot.example")
    user = User.objects.get(email="dewi@filot.example")
    assert "Created reviewer dewi@filot.example" in out and PASSWORD not in out
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name="Reviewers").exists()
    assert user.has_perm("reviews.review_document") and not user.has_perm("reviews.reveal_nik")
    assert client.login(username="dewi@filot.example", password=PASSWORD)
    assert client.get("/admin/reviews/manualreview/cases/").status_code == 200


@pytest.mark.django_db
def test_can_reveal_grants_the_audited_reveal_and_running_without_it_takes_it_back():
    create("dewi@filot.example", "--can-reveal")
    assert User.objects.get(email="dewi@filot.example").has_perm("reviews.reveal_nik")
    out = create("dewi@filot.example", password="another-long-passphrase-8")
    user = User.objects.get(email="dewi@filot.example")
    assert "Updated reviewer" in out and not user.has_perm("reviews.reveal_nik")
    assert user.check_password("another-long-passphrase-8")
    assert User.objects.filter(email="dewi@filot.example").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password", "problem"),
    [("not-an-email", PASSWORD, "valid email"), ("dewi@filot.example", "short", "too short"),
     ("dewi@filot.example", "", "empty")],
)  # fmt: skip
def test_a_bad_email_or_weak_password_creates_nothing(email: str, password: str, problem: str):
    with pytest.raises(CommandError, match=problem):
        create(email, password=password)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_without_a_terminal_or_stdin_flag_it_refuses_to_guess_a_password():
    with pytest.raises(CommandError, match="password-stdin"):
        call_command("create_reviewer", "dewi@filot.example", stdin=io.StringIO(""))
    assert not User.objects.exists()
