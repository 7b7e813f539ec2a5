"""API test helpers: a client that sends a role's bearer token, and a small world of records to act on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from plumbline.crm.actions import (
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_create_pipeline,
    do_log_activity,
    do_merge_contacts,
)
from plumbline.crm.models import DuplicatePair
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoint


class Api:
    """Calls /api/v1 as one user (or anonymously when the token is None)."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body: Any = None, **params: Any):
        url = "/api/v1" + path
        kwargs: dict[str, Any] = {"headers": self.headers}
        if method in ("get", "delete"):
            kwargs["data"] = {k: v for k, v in params.items() if v is not None}
        else:
            kwargs["data"] = json.dumps(body if body is not None else {})
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any):
        return self.call("get", path, **params)

    def post(self, path: str, body: Any = None):
        return self.call("post", path, body)

    def patch(self, path: str, body: Any = None):
        return self.call("patch", path, body)

    def put(self, path: str, body: Any = None):
        return self.call("put", path, body)

    def delete(self, path: str):
        return self.call("delete", path)


@pytest.fixture
def api(tokens):
    """api("admin") is a client acting as admin; api(None) is anonymous."""
    return lambda who: Api(tokens[who] if who else None)


@pytest.fixture
def world(users, pipeline) -> dict[str, Any]:
    """One record of each kind owned by rep2, plus a contact, company and deal rep1 owns."""
    rep1, rep2 = users["rep1"], users["rep2"]
    company = do_create_company(name="Acme", domain="acme.com", owner=rep2)
    own_company = do_create_company(name="Rep One Ltd", domain="repone.com", owner=rep1)
    contact = do_create_contact(email="jane@acme.com", first_name="Jane", last_name="Doe", owner=rep2)
    own_contact = do_create_contact(email="ole@repone.com", first_name="Ole", owner=rep1)
    deal = do_create_deal(name="Acme expansion", amount="12000.00", owner=rep2, company=company,
                          contacts=[(contact, "champion")])
    own_deal = do_create_deal(name="Rep One pilot", amount="3000.00", owner=rep1, contacts=[(own_contact, "user")])
    activity = do_log_activity(kind="note", subject="Intro", contact=contact, owner=rep2)
    own_activity = do_log_activity(kind="note", subject="Mine", contact=own_contact, owner=rep1)
    campaign = do_create_campaign(name="Spring webinar", channel="webinar", cost="1000.00", owner=users["marketing"])
    touchpoint = do_record_touchpoint(contact_id=contact.pk, campaign_id=campaign.pk, kind="webinar_attended",
                                      occurred_at="2026-03-01T10:00:00Z")
    empty_pipeline = do_create_pipeline(name="Partners", stages=[{"name": "Talk"}, {"name": "Signed", "kind": "won"}])
    return {
        "empty_pipeline": empty_pipeline, "company": company, "own_company": own_company, "contact": contact, "own_contact": own_contact,
        "deal": deal, "own_deal": own_deal, "activity": activity, "own_activity": own_activity,
        "campaign": campaign, "touchpoint": touchpoint, "pipeline": pipeline,
        "stage": pipeline.stages.get(name="Proposal"),
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Creating six users per test with the production hasher would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def merge_world(world, users):
    """The world, plus a spare contact for each rep to merge, a past merge into rep2's contact to undo, a
    suggested duplicate pair of rep2's contacts, and an open task for each rep."""
    survivor = do_create_contact(email="kept@acme.com", owner=users["rep2"])
    merge = do_merge_contacts(survivor=survivor, other=do_create_contact(email="gone@acme.com", owner=users["rep2"]))
    spare = do_create_contact(email="spare@acme.com", owner=users["rep2"])
    pair = DuplicatePair.objects.create(left=world["contact"], right=spare, probability=0.9, weight=4.2, why=[],
                                        found_at=timezone.now())
    task = do_log_activity(kind="task", subject="Call back", contact=world["contact"], owner=users["rep2"],
                           due_at=timezone.now())
    own_task = do_log_activity(kind="task", subject="Mine", contact=world["own_contact"], owner=users["rep1"],
                               due_at=timezone.now())
    return {**world, "merge": merge, "spare": spare, "pair": pair, "task": task, "own_task": own_task,
            "own_spare": do_create_contact(email="spare@repone.com", owner=users["rep1"])}
