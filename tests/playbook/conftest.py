"""A small record for the playbook tests, built through the real actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_company, do_create_contact, do_create_deal
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoint
from plumbline.playbook.actions import do_create_framework, do_set_pipeline_framework


@dataclass
class World:
    company: Any
    contact: Any
    deal: Any
    own_deal: Any
    webinar: Any
    ads: Any
    bant: Any


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(users, pipeline) -> World:
    """Jane (SQL, Acme, Software) came from the webinar then an ad; rep2 owns her deal, rep1 his own.
    The pipeline qualifies with BANT."""
    company = do_create_company(name="Acme", domain="acme.com", industry="Software", owner=users["rep2"])
    contact = do_create_contact(email="jane@acme.com", first_name="Jane", owner=users["rep2"], lifecycle_stage="sql")
    deal = do_create_deal(name="Acme expansion", amount="12000", owner=users["rep2"], company=company,
                          contacts=[(contact, "champion")])
    own_deal = do_create_deal(name="Rep1 pilot", amount="3000", owner=users["rep1"])
    webinar = do_create_campaign(name="Spring webinar", channel="webinar", owner=users["marketing"])
    ads = do_create_campaign(name="Search ads", channel="paid_search", owner=users["marketing"])
    do_record_touchpoint(contact_id=contact.pk, campaign_id=webinar.pk, kind="webinar_attended",
                         occurred_at="2026-01-10T10:00:00Z")
    do_record_touchpoint(contact_id=contact.pk, campaign_id=ads.pk, kind="ad_click",
                         occurred_at="2026-02-10T10:00:00Z")
    bant = do_create_framework(template="bant")
    do_set_pipeline_framework(pipeline=pipeline, framework=bant)
    return World(company, contact, deal, own_deal, webinar, ads, bant)


class Api:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):
        return self.client.get("/api/v1" + path, data=params, headers=self.headers)

    def send(self, method: str, path: str, body: Any = None):
        return getattr(self.client, method)("/api/v1" + path, data=json.dumps(body if body is not None else {}),
                                            content_type="application/json", headers=self.headers)


@pytest.fixture
def api(tokens):
    return lambda who: Api(tokens[who] if who else None)


@pytest.fixture
def client_for(users):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(users[username])
        return client

    return make
