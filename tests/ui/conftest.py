"""A small shared record for the page tests, built through the real actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_company, do_create_contact, do_create_deal, do_log_activity
from plumbline.marketing.actions import do_create_campaign


@dataclass
class Record:
    company: Any
    contact: Any
    deal: Any
    own_deal: Any
    campaign: Any


@pytest.fixture
def record(users, pipeline) -> Record:
    """Company, contact and a deal owned by rep2; a deal owned by rep1; a print campaign."""
    company = do_create_company(name="Acme", domain="acme.com", owner=users["rep2"])
    contact = do_create_contact(email="jane@acme.com", first_name="Jane", last_name="Doe", owner=users["rep2"])
    deal = do_create_deal(name="Acme expansion", amount="12000", owner=users["rep2"], company=company,
                          contacts=[(contact, "champion")])
    own_deal = do_create_deal(name="Rep1 deal", amount="3000", owner=users["rep1"])
    do_log_activity(kind="note", contact=contact, subject="Met at the fair", owner=users["rep2"])
    campaign = do_create_campaign(name="Spring flyer", channel="print", cost="500",
                                  landing_url="https://example.com/spring", owner=users["marketing"])
    return Record(company, contact, deal, own_deal, campaign)


@pytest.fixture
def client_for(users):
    """A signed-in test client for one of the fixture users, by username."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(users[username])
        return client

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The fixture users are hashed with PBKDF2 six times per test; MD5 keeps the page matrix quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
