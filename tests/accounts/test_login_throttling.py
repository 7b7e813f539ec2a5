"""Sign-in throttling (django-axes): five wrong passwords lock that username from that address out, with a page
that says why and for how long; other users and addresses still sign in; a success resets the count."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD


def _sign_in(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


pytestmark = pytest.mark.usefixtures("users")


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(users):
    client = Client()
    for _ in range(4):
        assert _sign_in(client, "rep1", "wrong-password").status_code == 200  # the form again, with its error

    fifth = _sign_in(client, "rep1", "wrong-password")
    right = _sign_in(client, "rep1", PASSWORD)

    assert (fifth.status_code, right.status_code) == (429, 429)
    page = " ".join(right.content.decode().split())
    assert "<h1>Too many failed sign-ins</h1>" in page
    assert ("After 5 wrong passwords for “rep1” from your address, signing in as this user is locked for 15 minutes."
            in page)
    assert "_auth_user_id" not in client.session


def test_the_lockout_holds_one_username_from_one_address(users):
    for _ in range(5):
        _sign_in(Client(), "rep1", "wrong-password")

    other_user = _sign_in(Client(), "rep2", PASSWORD)
    other_address = _sign_in(Client(), "rep1", PASSWORD, address="198.51.100.9")

    assert (other_user.status_code, other_address.status_code) == (302, 302)


def test_a_successful_sign_in_resets_the_count(users):
    for _ in range(4):
        _sign_in(Client(), "rep1", "wrong-password")
    assert _sign_in(Client(), "rep1", PASSWORD).status_code == 302

    for _ in range(4):
        _sign_in(Client(), "rep1", "wrong-password")

    assert _sign_in(Client(), "rep1", PASSWORD).status_code == 302


def test_the_api_token_check_is_not_a_password_sign_in_and_stays_open(tokens):
    # Bearer tokens carry 256 random bits: bad ones are refused (401) without counting as failed sign-ins
    for _ in range(6):
        assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer pl_wrong", REMOTE_ADDR="203.0.113.7").status_code == 401

    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tokens['rep1']}", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200


def test_a_forged_forwarded_for_header_does_not_lift_the_lockout():
    for n in range(5):
        Client().post("/login/", {"username": "rep1", "password": "wrong-password"}, REMOTE_ADDR="203.0.113.7",
                      HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = Client().post("/login/", {"username": "rep1", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7",
                             HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429


def test_behind_a_tls_proxy_the_address_it_adds_is_counted(settings):
    settings.BEHIND_TLS_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        Client().post("/login/", {"username": "rep1", "password": "wrong-password"},
                      HTTP_X_FORWARDED_FOR="192.0.2.50, 203.0.113.7", **proxy)

    locked = Client().post("/login/", {"username": "rep1", "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", **proxy)
    other = Client().post("/login/", {"username": "rep1", "password": PASSWORD},
                          HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy)

    assert (locked.status_code, other.status_code) == (429, 302)
