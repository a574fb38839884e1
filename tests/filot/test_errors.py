"""One JSON error shape for the whole API; no stack trace ever reaches a client."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.filot.urls_failing")]


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


def test_an_unhandled_exception_in_an_api_view_answers_the_json_shape_without_a_trace(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/failing")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "server_error", "message": "Internal server error.", "details": None}
    }
    body = response.content.decode()
    assert "Traceback" not in body
    assert "hunter2" not in body


def test_an_unhandled_exception_in_a_plain_view_answers_the_json_shape(client, settings):
    settings.DEBUG = False
    response = client.get("/plain/failing")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "internal detail" not in response.content.decode()


def test_validation_errors_list_each_field(client):
    response = client.post("/api/v1/failing", {"email": "not-an-email"}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "email" in error["details"]


def test_malformed_json_is_a_400_in_the_same_shape(client):
    response = client.post("/api/v1/failing", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_unknown_path_answers_404_in_the_same_shape(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": None}}


def test_a_wrong_method_is_a_405_in_the_same_shape(client):
    response = client.delete("/api/v1/failing")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
