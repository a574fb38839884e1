"""The applicant profile: NIK validated, encrypted at rest, shown masked."""

import pytest
from django.db import connection

from kyc.crypto import nik_blind_index
from kyc.models import Profile

pytestmark = pytest.mark.django_db

NIK = "3171015708900001"  # synthetic: Jakarta Pusat, woman born 17-08-1990


def put_profile(client, **changes):
    body = {
        "full_name": "Siti  Rahma",
        "date_of_birth": "1990-08-17",
        "nik": NIK,
        "phone": "+62 812 3456 7890",
    }
    return client.put("/api/v1/profile", {**body, **changes}, format="json")


def test_alice_saves_her_profile_and_sees_the_nik_masked(alice_api):
    response = put_profile(alice_api)
    assert response.status_code == 200
    assert response.json() == {
        "full_name": "SITI RAHMA",
        "date_of_birth": "1990-08-17",
        "nik": "3171********0001",
        "phone": "+62 812 3456 7890",
    }
    assert alice_api.get("/api/v1/profile").json()["nik"] == "3171********0001"


@pytest.mark.parametrize(
    "nik",
    ["317101570890000", "31710157089000011", "3171O15708900001", "9971015708900001", "3171017308900001"],
    ids=["15-digits", "17-digits", "letter", "unknown-province", "impossible-day"],
)
def test_a_structurally_invalid_nik_is_refused_and_nothing_changes(alice_api, alice, nik):
    response = put_profile(alice_api, nik=nik)
    assert response.status_code == 400
    assert "nik" in response.json()["error"]["details"]
    assert Profile.objects.get(user=alice).nik == ""


def test_the_database_holds_no_plaintext_nik(alice_api, alice):
    put_profile(alice_api)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nik, nik_hash FROM kyc_profile WHERE user_id = %s", [alice.id])
        raw_nik, raw_hash = cursor.fetchone()
    assert NIK not in raw_nik
    assert NIK not in raw_hash
    assert Profile.objects.get(user=alice).nik == NIK


def test_duplicate_identity_is_found_through_the_blind_index(alice_api, bob_api, alice, bob):
    put_profile(alice_api)
    put_profile(bob_api, full_name="Someone Else")
    owners = set(Profile.objects.filter(nik_hash=nik_blind_index(NIK)).values_list("user_id", flat=True))
    assert owners == {alice.id, bob.id}
    assert not Profile.objects.filter(nik_hash=nik_blind_index("3171011708900001")).exists()


def test_unknown_profile_fields_are_refused(alice_api):
    response = put_profile(alice_api, verified=True)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"verified": ["Unknown field."]}


@pytest.mark.parametrize(
    "phone", ["+33472-2577014426-105", "1" * 21, "+62 812 x456"], ids=["21-chars", "21-digits", "letter"]
)
def test_a_phone_that_does_not_fit_is_refused_with_400_not_a_database_error(alice_api, alice, phone):
    response = put_profile(alice_api, phone=phone)
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["details"]
    assert Profile.objects.get(user=alice).phone == ""
