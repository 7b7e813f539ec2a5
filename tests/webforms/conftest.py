"""Webforms test helpers: forms built through the real actions, a real proof-of-work solver, a public client."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import altcha
import pytest
from django.core.cache import cache
from django.test import Client

from plumbline.webforms.actions import do_create_form
from plumbline.webforms.models import Form

NEWSLETTER_FIELDS = [
    {"label": "Email", "key": "email", "type": "email", "maps_to": "contact.email", "required": True},
    {"label": "First name", "key": "first_name", "type": "text", "maps_to": "contact.first_name"},
    {"label": "Last name", "key": "last_name", "type": "text", "maps_to": "contact.last_name"},
    {"label": "Company", "key": "company", "type": "text", "maps_to": "company.name"},
    {"label": "Job title", "key": "title", "type": "text", "maps_to": "contact.title"},
    {"label": "Send me the monthly newsletter", "key": "newsletter", "type": "consent", "subscription": "newsletter"},
    {"label": "Tell me about events", "key": "events", "type": "consent", "subscription": "events"},
    {"label": "Campaign", "key": "utm_campaign", "type": "hidden", "hidden_source": "utm_campaign"},
]


@pytest.fixture(autouse=True)
def _fresh(settings):
    """A cheap proof of work (the same scheme, fewer numbers to try) and empty rate-limit counters."""
    settings.FORMS_POW_MAX_NUMBER = 2000
    cache.clear()
    yield
    cache.clear()


def solve(challenge: dict[str, Any]) -> str:
    """What the browser's solver sends: the number found, with the signed challenge, base64 JSON."""
    solution = altcha.solve_challenge_v1(challenge["challenge"], challenge["salt"], "SHA-256",
                                         challenge["maxNumber"])
    assert solution is not None
    return base64.b64encode(json.dumps({
        "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": solution.number,
        "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()


def pow_payload(client: Client | None = None) -> str:
    response = (client or Client()).get("/f/challenge")
    assert response.status_code == 200
    return solve(response.json())


@pytest.fixture
def newsletter(db) -> Form:
    return do_create_form(by=None, name="Newsletter", slug="newsletter", fields=NEWSLETTER_FIELDS,
                          thank_you_message="Thanks: check your inbox.")


def submit(slug: str, answers: dict[str, Any], *, key: str | None = None, pow_: str | None = None,
           client: Client | None = None, ip: str = "203.0.113.7", **query: str) -> Any:
    """POST the embed's JSON submission, with a fresh solved challenge unless given one."""
    client = client or Client()
    body = {**answers, "altcha": pow_ if pow_ is not None else pow_payload(client)}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(f"/f/{slug}/submit" + (f"?{qs}" if qs else ""), json.dumps(body),
                       content_type="application/json", REMOTE_ADDR=ip, **headers)


def visitor() -> str:
    return secrets.token_urlsafe(16)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Api:
    def __init__(self, token: str) -> None:
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
        return getattr(Client(), method)(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {self.token}", **kwargs,
                                         **extra)


@pytest.fixture
def api(tokens):
    return lambda who: Api(tokens[who])


@pytest.fixture
def browser(users):
    """browser("marketing") is a signed-in client of that user."""
    def make(who: str) -> Client:
        client = Client()
        client.force_login(users[who])
        return client
    return make
