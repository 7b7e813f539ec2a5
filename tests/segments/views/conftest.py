"""What the segment page tests share: the contacts and segments of tests/segments/pages.py (instead of the
predicate tests' `people`), a signed-in client per fixture user, and fast password hashing."""

from __future__ import annotations

import pytest

from tests.segments.pages import People, make_people, signed_in


@pytest.fixture
def people(db) -> People:
    return make_people()


@pytest.fixture
def client_for(users):
    """A signed-in test client for one of the fixture users, by username."""
    return lambda username: signed_in(users[username])


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
