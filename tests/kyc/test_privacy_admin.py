"""Operators answer access and erasure requests that arrive by other channels, and
place legal holds, in the admin; each is audited."""

import json

import pytest

from kyc.models import LegalHold, OcrResult, PrivacyEvent, User
from tests.kyc.privacy import decided_document, files_of

pytestmark = pytest.mark.django_db
USERS = "/admin/kyc/user/"


@pytest.fixture
def operator(client, make_user):
    user = make_user("ops@filot.example", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def _approve_everything(settings):
    settings.KYC_APPROVE_ABOVE, settings.KYC_REJECT_BELOW = 0, 0


def act(client, action: str, *users: User, reason: str = ""):
    data = {"action": action, "_selected_action": [str(user.pk) for user in users], "reason": reason}
    return client.post(USERS, data, follow=action != "export_personal_data")


def test_an_operator_exports_one_accounts_data_and_it_is_audited(client, operator, alice, alice_api):
    _, fields = decided_document(alice_api)
    response = act(client, "export_personal_data", alice, reason="letter 2026/14")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["documents"][0]["fields"]["nik"] == fields["nik"]
    event = PrivacyEvent.objects.get(action="exported")
    assert (event.subject_id, event.actor_kind, event.actor_id, event.reason) == (
        alice.pk, "operator", str(operator.pk), "letter 2026/14",
    )  # fmt: skip


def test_an_operator_erases_with_a_reason_and_holds_are_respected(
    client, operator, alice, bob, alice_api, bob_api, settings
):
    decided_document(alice_api)
    decided_document(bob_api, index=1)
    assert "needs a reason" in act(client, "erase_personal_data", alice).content.decode()
    assert User.objects.get(pk=alice.pk).is_active

    added = client.post("/admin/kyc/legalhold/add/", {"user": str(bob.pk), "reason": "police request 5"})
    assert added.status_code == 302
    hold = LegalHold.objects.get(user=bob)
    assert (hold.placed_by, hold.reason) == (operator, "police request 5")
    assert PrivacyEvent.objects.filter(action="hold_placed", subject=bob, actor_id=str(operator.pk)).exists()

    page = act(client, "erase_personal_data", alice, bob, reason="email ticket 31").content.decode()
    assert "personal data erased" in page and "legal hold" in page
    assert not User.objects.get(pk=alice.pk).is_active and files_of(settings, alice.id) == []
    assert User.objects.get(pk=bob.pk).is_active and OcrResult.objects.get(document__owner=bob).fields
    erased = PrivacyEvent.objects.get(action="erased")
    assert (erased.subject_id, erased.actor_kind, erased.reason) == (alice.pk, "operator", "email ticket 31")

    client.post(f"/admin/kyc/legalhold/{hold.pk}/delete/", {"post": "yes"})
    assert not LegalHold.objects.exists()
    assert PrivacyEvent.objects.filter(action="hold_lifted", subject=bob).exists()


def test_a_hold_needs_a_reason_and_a_reviewer_cannot_use_the_privacy_actions(client, operator, bob, rita):
    response = client.post("/admin/kyc/legalhold/add/", {"user": str(bob.pk), "reason": ""})
    assert response.status_code == 200 and not LegalHold.objects.exists()
    client.force_login(rita)
    assert client.get(USERS).status_code == 403
    assert (
        client.post(USERS, {"action": "erase_personal_data", "_selected_action": [str(bob.pk)]}).status_code
        == 403
    )
    assert User.objects.get(pk=bob.pk).is_active
