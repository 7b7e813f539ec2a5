"""A population for the predicate tests, built through the real actions at fixed times around NOW: a few hand-made
contacts with known facts (for exact member sets) and seeded random ones (for the property test)."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest
from django.test import Client

from plumbline.consent.actions import do_create_subscription_type, do_record_consent
from plumbline.consent.models import SubscriptionType
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.actions.contacts import do_change_lifecycle
from plumbline.crm.actions.deals import do_create_deal
from plumbline.crm.actions.pipelines import do_create_pipeline
from plumbline.crm.models import Contact, CustomField
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoints
from plumbline.scoring.models import ContactScore
from plumbline.segments.models import Membership, Segment

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
# The ids the world fixture made, by name, for strategies that must name them ("vip", "pipeline", "Proposal").
IDS: dict[str, int] = {}


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def member(segment: Segment, contact: Contact) -> None:
    # Memberships are written by the segments' actions (seg-core); the predicate tests set the rows they read.
    Membership.objects.create(segment=segment, contact=contact, since=days_ago(3))


def deal(name: str, stage: str, amount: int, contacts: list[Contact], company=None):
    return do_create_deal(name=name, stage=IDS["stages"][stage], amount=amount, company=company,
                          contacts=[(c, "champion") for c in contacts])


def _score(contact: Contact, grade: str, fit: int, engagement: float, predictive: float | None,
           last_event_days: int | None = None) -> None:
    # Scores are scoring's computed state; the tests set the row they read directly.
    ContactScore.objects.create(contact=contact, fit_score=fit, fit_grade=grade, engagement_score=engagement,
                                predictive_probability=predictive, definition_version=1, computed_at=NOW,
                                last_event_at=None if last_event_days is None else days_ago(last_event_days))


@pytest.fixture
def world(db) -> dict:
    CustomField.objects.create(applies_to="contact", key="plan", label="Plan", type="choice", choices=["free", "pro"])
    CustomField.objects.create(applies_to="contact", key="seats", label="Seats", type="number")
    CustomField.objects.create(applies_to="contact", key="renews", label="Renews", type="date")
    CustomField.objects.create(applies_to="contact", key="vip", label="VIP", type="boolean")
    CustomField.objects.create(applies_to="contact", key="note", label="Note", type="text")
    for code, label in (("newsletter", "Newsletter"), ("product", "Product news")):
        if not SubscriptionType.objects.filter(code=code).exists():  # the migrations may seed some
            do_create_subscription_type(code=code, label=label)
    CustomField.objects.create(applies_to="company", key="tier", label="Tier", type="choice", choices=["gold", "silver"])
    CustomField.objects.create(applies_to="company", key="arr", label="ARR", type="number")
    CustomField.objects.create(applies_to="company", key="partner", label="Partner", type="boolean")
    acme = do_create_company(name="Acme", industry="Software", employee_count=50,
                             custom={"tier": "gold", "arr": 120000, "partner": True})
    globex = do_create_company(name="Globex", industry="Retail", custom={"tier": "silver"})
    campaign = do_create_campaign(name="Spring launch", channel="seo")
    pipeline = do_create_pipeline(name="Sales", stages=[{"name": "Talk"}, {"name": "Proposal"},
                                                        {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"}])
    vip = Segment.objects.create(name="VIP", kind="static")
    empty = Segment.objects.create(name="Nobody yet", kind="static")
    IDS.clear()
    IDS.update({"vip": vip.pk, "empty": empty.pk, "pipeline": pipeline.pk,
                "stages": {s.name: s for s in pipeline.stages.all()}})

    # Hand-made: ann (Acme, mql, pro, 3 recent seo page views, newsletter granted, became mql 10 days ago),
    # bob (Globex, lead, no score, one old page view, newsletter granted then channel withdrawn),
    # cat (no company, customer, blank first name, email grant only channel-wide).
    ann = do_create_contact(email="ann@one.test", first_name="Ann", last_name="Lee", company=acme,
                            lifecycle_stage="lead", custom={"plan": "pro", "seats": 12, "renews": "2026-09-01",
                                                            "vip": True, "note": "Big Deal"})
    do_change_lifecycle(contact=ann, to_stage="mql", occurred_at=days_ago(10))
    bob = do_create_contact(email="bob@two.test", first_name="Bob", company=globex, lifecycle_stage="lead",
                            custom={"plan": "free", "seats": 3, "vip": False})
    cat = do_create_contact(email="cat@three.test", first_name="", lifecycle_stage="customer")
    _score(ann, "A", 90, 40.5, 0.8, 1)
    _score(cat, "C", 30, 2.0, None)
    do_record_touchpoints(items=[
        {"contact_id": ann.pk, "kind": "page_view", "channel": "seo", "campaign_id": campaign.pk,
         "occurred_at": days_ago(d), "content": path, "source": "google", "medium": "cpc", "utm_campaign": "spring"}
        for d, path in ((1, "/pricing"), (5, "/Pricing"), (13, "/blog/pricing-guide"))
    ] + [{"contact_id": ann.pk, "kind": "email_click", "channel": "email", "occurred_at": days_ago(100)},
         {"contact_id": bob.pk, "kind": "page_view", "channel": "seo", "occurred_at": days_ago(20)}])
    do_record_consent(contact=ann, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form", at=days_ago(30))
    do_record_consent(contact=bob, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form", at=days_ago(30))
    do_record_consent(contact=bob, channel="email", subscription=None, granted=False, basis="consent",
                      source="unsubscribe", at=days_ago(5))
    do_record_consent(contact=cat, channel="email", subscription=None, granted=True, basis="consent",
                      source="form", at=days_ago(3))
    # Deals: ann champions an open 12,000 proposal at Acme, which also has a 500 talk nobody is on; bob a won 5,000.
    deal("Acme expansion", "Proposal", 12000, [ann], acme)
    deal("Acme pilot", "Talk", 500, [], acme)
    deal("Globex licence", "Won", 5000, [bob], globex)
    member(vip, ann)
    return {"ann": ann, "bob": bob, "cat": cat, "campaign": campaign, "companies": [acme, globex], "vip": vip,
            "empty": empty, "pipeline": pipeline}


@pytest.fixture
def crowd(world) -> list[Contact]:
    """Twenty more contacts with seeded random facts, beside the hand-made three."""
    rnd = random.Random(13)
    companies = [*world["companies"], None]
    stages = ["subscriber", "lead", "mql", "sql", "customer"]
    made = []
    for i in range(20):
        custom = {}
        if rnd.random() < 0.6:
            custom["plan"] = rnd.choice(["free", "pro"])
        if rnd.random() < 0.6:
            custom["seats"] = rnd.choice([1, 3, 12, 40])
        if rnd.random() < 0.5:
            custom["renews"] = rnd.choice(["2026-01-15", "2026-09-01", "2027-03-30"])
        if rnd.random() < 0.5:
            custom["vip"] = rnd.random() < 0.5
        if rnd.random() < 0.5:
            custom["note"] = rnd.choice(["Big deal", "small", "call Back"])
        contact = do_create_contact(
            email=f"p{i}@crowd{i}.test", first_name=rnd.choice(["", "Ann", "ANNA", "Zed", "bo"]),
            last_name=rnd.choice(["", "Lee", "lee", "Stone"]), company=rnd.choice(companies),
            lifecycle_stage=rnd.choice(stages), custom=custom)
        became = rnd.choice(["mql", "sql"])
        if rnd.random() < 0.4 and contact.lifecycle_stage in ("subscriber", "lead"):
            do_change_lifecycle(contact=contact, to_stage=became,
                                occurred_at=days_ago(rnd.choice([2, 20, 60])))
        if rnd.random() < 0.7:
            _score(contact, rnd.choice("ABCD"), rnd.choice([10, 30, 90]), rnd.choice([0.0, 2.0, 40.5]),
                   rnd.choice([None, 0.2, 0.8]), rnd.choice([None, 2, 10, 30]))
        items = []
        for _ in range(rnd.choice([0, 0, 1, 2, 4])):
            items.append({"contact_id": contact.pk, "kind": rnd.choice(["page_view", "email_click"]),
                          "channel": rnd.choice(["seo", "email"]), "occurred_at": days_ago(rnd.choice([1, 6, 15, 45])),
                          "campaign_id": rnd.choice([world["campaign"].pk, None]),
                          "content": rnd.choice(["", "/pricing", "/PRICING", "/blog/a", "Demo form"]),
                          "source": rnd.choice(["", "google", "Google", "news"]), "medium": rnd.choice(["", "cpc"])})
        if items:
            do_record_touchpoints(items=items)
        for step in range(rnd.choice([0, 1, 2, 3])):
            do_record_consent(contact=contact, channel="email", subscription=rnd.choice([None, "newsletter", "product"]),
                              granted=rnd.random() < 0.6, basis="consent", source="form",
                              at=days_ago(rnd.choice([40, 20, 4]) - step))
        if rnd.random() < 0.3:
            member(world["vip"], contact)
        for _ in range(rnd.choice([0, 0, 1, 2])):
            deal(f"Deal {i}", rnd.choice(["Talk", "Proposal", "Won", "Lost"]), rnd.choice([0, 500, 5000, 12000]),
                 [contact], rnd.choice(companies))
        made.append(contact)
    return [world["ann"], world["bob"], world["cat"], *made]


class Api:
    """Calls /api/v1 as one user's bearer token; extra keyword arguments are headers (`Idempotency-Key`)."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if self.token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
        return getattr(Client(), method)(f"/api/v1{path}", **kwargs, **extra)

    def get(self, path: str, **params: Any) -> Any:
        extra = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        return Client().get(f"/api/v1{path}", params, **extra)


@pytest.fixture
def api(tokens):
    """api("marketing") calls the API as that user; api(None) anonymously."""
    return lambda who: Api(tokens[who] if who else None)


@pytest.fixture
def people(db) -> dict[str, Contact]:
    """Three contacts for the segments' own tests (no segments yet): ann (Acme, mql), bob (Globex, lead), cat (no
    company, customer), made in that order."""
    acme = do_create_company(name="Acme", industry="Software", employee_count=50)
    globex = do_create_company(name="Globex", industry="Retail")
    ann = do_create_contact(email="ann@one.test", first_name="Ann", last_name="Lee", company=acme,
                            lifecycle_stage="lead")
    do_change_lifecycle(contact=ann, to_stage="mql")
    bob = do_create_contact(email="bob@two.test", first_name="Bob", company=globex, lifecycle_stage="lead")
    cat = do_create_contact(email="cat@three.test", first_name="", lifecycle_stage="customer")
    return {"ann": ann, "bob": bob, "cat": cat}
