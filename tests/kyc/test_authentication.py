"""The API's JWT authentication (kyc.authentication): simplejwt's checks, the user row read
through a compiled read. Tokens that end (password change, deactivation) are in
test_tokens_and_accounts.py; these are the parts of our own."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from kyc.models import User
from kyc.selectors import get_user_by_id


def _get(token: AccessToken, path: str = "/api/v1/profile") -> object:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api.get(path)


@pytest.mark.django_db
def test_the_user_is_read_as_the_orm_reads_it(alice):
    read = get_user_by_id(str(alice.id))
    expected = User.objects.get(id=alice.id)
    assert read is not None and not read._state.adding and read._state.db == "default"
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    assert get_user_by_id(uuid.uuid4()) is None
    assert get_user_by_id("not-a-uuid") is None


@pytest.mark.django_db
def test_a_signed_token_whose_user_id_is_no_uuid_or_no_user_answers_401(alice):
    for user_id in ("not-a-uuid", str(uuid.uuid4()), "1' OR '1'='1"):
        token = AccessToken.for_user(alice)
        token["user_id"] = user_id
        response = _get(token)
        assert response.status_code == 401, (user_id, response.content)
        assert response.json()["error"]["code"], response.json()
    without = AccessToken.for_user(alice)
    del without["user_id"]
    assert _get(without).status_code == 401


@pytest.mark.django_db
def test_the_documents_list_costs_the_user_row_and_its_page(alice):
    token = AccessToken.for_user(alice)
    _get(token, "/api/v1/documents")  # the compiled reads, the connection
    with CaptureQueriesContext(connection) as queries:
        response = _get(token, "/api/v1/documents")
    assert response.status_code == 200 and response.json()["count"] == 0
    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == 2, sql
    assert 'FROM "kyc_user"' in sql[0] and "LIMIT 21" not in sql[0]  # the compiled read, not .get()
