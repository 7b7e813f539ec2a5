from __future__ import annotations

import pytest

from plumbline.tracking.actions import do_create_site
from plumbline.tracking.models import Site
from plumbline.tracking.queries import forget_cached_sites
from tests.tracking.helpers import ORIGIN


@pytest.fixture
def site(db) -> Site:
    forget_cached_sites()
    yield do_create_site(name="Acme website", origins=f"{ORIGIN}\nhttps://acme.test")
    forget_cached_sites()


@pytest.fixture
def gdpr_site(db) -> Site:
    forget_cached_sites()
    yield do_create_site(name="Acme EU", origins="https://eu.acme.test", gdpr_mode=True)
    forget_cached_sites()


from tests.processes import database_env, processes  # noqa: E402, F401 - fixtures of the kill -9 test
