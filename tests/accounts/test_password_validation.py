"""Every path that sets a password runs Django's validators: the user action, createsuperuser with --noinput,
and the demo's fixed password (checked once, without a user)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plumbline.accounts.actions import do_create_user
from plumbline.accounts.models import User
from plumbline.core.errors import DomainError


@pytest.mark.parametrize(("password", "reason"), [
    ("short1", "This password is too short. It must contain at least 8 characters."),
    ("password123", "This password is too common."),
    ("8412957306", "This password is entirely numeric."),
    ("annexample", "The password is too similar to the username."),
])
def test_create_user_refuses_a_weak_password_naming_the_field(db, password, reason):
    with pytest.raises(DomainError) as caught:
        do_create_user(username="annexample", password=password, role="sales", email="ann@example.com")

    assert caught.value.field == "password"
    assert reason in caught.value.message
    assert not User.objects.filter(username="annexample").exists()


def test_create_user_accepts_a_strong_password(db):
    user = do_create_user(username="ann", password="violet-harbour-engine", role="sales")

    assert user.check_password("violet-harbour-engine")


def test_createsuperuser_noinput_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "12345678")

    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD: .*entirely numeric"):
        call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com")

    assert not User.objects.filter(username="root").exists()


def test_createsuperuser_noinput_accepts_a_strong_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "violet-harbour-engine")

    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com", verbosity=0)

    assert User.objects.get(username="root").check_password("violet-harbour-engine")
