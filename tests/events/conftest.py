"""The feed's test helpers: a consumer that records what it was given, writing events, API clients."""

from __future__ import annotations

import pytest
from django.db import transaction

from plumbline.events import registry
from plumbline.events.actions import emit
from tests.api.conftest import Api
from tests.processes import database_env, processes  # noqa: F401 - fixtures


@pytest.fixture
def seen():
    """A consumer of contact events that records what it was given, and can be told to fail."""
    got: list[tuple[int, str, int]] = []
    failing = {"on": False}

    @registry.consumer("test.recorder", kinds={"contact.created", "contact.updated"}, label="Test recorder",
                       batch_size=3)
    def record(events):
        if failing["on"]:
            raise RuntimeError("the recorder is down")
        got.extend((e.id, e.kind, e.subject_id) for e in events)

    record.failing = failing
    yield got, failing
    registry.unregister("test.recorder")


def write(kind="contact.created", subject_id=1, **payload):
    with transaction.atomic():
        emit(kind=kind, subject=("contact", subject_id), payload=payload)

@pytest.fixture
def api(tokens):
    """api("admin") calls /api/v1 as admin; api(None) anonymously."""
    return lambda who: Api(tokens[who] if who else None)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
