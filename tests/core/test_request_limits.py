"""Oversized and unreadable request bodies: a 413 that says so (JSON on the API, a page elsewhere), and a JSON
body that is not UTF-8 or not JSON is refused naming the line and column."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

BIG = 3 * 1024 * 1024  # over the 2.5 MB of DATA_UPLOAD_MAX_MEMORY_SIZE


def _bearer(tokens, who="admin"):
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens[who]}"}


def test_an_oversized_api_body_is_a_json_413(tokens):
    body = json.dumps({"items": [{"contact_email": "a@b.test", "kind": "page_view", "x": "y" * BIG}]})

    response = Client().post("/api/v1/touchpoints/batch", body, content_type="application/json", **_bearer(tokens))

    assert response.status_code == 413
    assert response.json() == {
        "message": "The request body is too large: at most 2.5 MB is accepted.",
        "errors": [{"field": None, "message": "The request body is too large: at most 2.5 MB is accepted.",
                    "code": "request_too_large"}]}


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_an_oversized_form_is_a_readable_413_page(users, content_type):
    # Given a signed-in admin whose form is read first by the CSRF check, as in production
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    client.get("/contacts/new/")
    data = {"first_name": "x" * BIG, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    if content_type.startswith("application"):
        data = "&".join(f"{k}={v}" for k, v in data.items())

    response = client.post("/contacts/new/", data, **({"content_type": content_type} if isinstance(data, str) else {}))

    assert response.status_code == 413
    assert "too large to accept" in response.content.decode()
    assert "at most 2.5 MB" in response.content.decode()


def test_an_upload_over_the_import_limit_is_a_413_before_it_is_read(tokens, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    upload = ("email\n" + "someone@example.com\n" * 200_000).encode()  # ~4 MB

    response = Client().post("/api/v1/imports", {"kind": "contacts", "file": SimpleUploadedFile("c.csv", upload)},
                             **_bearer(tokens))

    assert response.status_code == 413
    assert response.json()["message"] == "The request body is too large: at most 3.5 MB is accepted."


def test_a_body_within_the_limits_is_served(tokens):
    response = Client().post("/api/v1/companies", {"name": "Acme"}, content_type="application/json", **_bearer(tokens))

    assert response.status_code == 201


@pytest.mark.parametrize(("body", "message", "code"), [
    (b'{"name": "Acme",\n "industry": "Caf\xe9s"}',
     "Line 2, column 18: byte 0xe9 is not valid UTF-8; send the body as UTF-8.", "invalid_encoding"),
    (b'{"name": "Acme",\n\n  "industry" "Software"}',
     "Line 3, column 14: not valid JSON (Expecting ':' delimiter).", "invalid_json"),
])
def test_an_unreadable_json_body_names_the_line_and_column(tokens, body, message, code):
    response = Client().post("/api/v1/companies", body, content_type="application/json", **_bearer(tokens))

    assert response.status_code == 400
    assert response.json() == {"message": message, "errors": [{"field": None, "message": message, "code": code}]}
