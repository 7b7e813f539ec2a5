"""A small hand-built CRM for the in-app analytics tests, made with the real actions at fixed instants.

T = 2025-03-01 00:00 UTC. Campaigns: Webinar (webinar, cost 1000), Search ads (paid_search, cost 2000),
Newsletter (email, cost 500). Acme (acme.test) has ann and bob; cat has no company; dan is at Globex.

touchpoints                                   lifecycle (all created as subscribers at T-200d)
  ann  Webinar   T-20d  "Deck"                  ann  lead T-30d, mql T
  ann  Search    T-10d  "Ad 1"                  bob  lead T-30d, mql T+1d
  ann  Newsletter T-2d  "March issue"           cat  lead T-120d, mql T
  ann  Search    T+10d  "Ad 2"                  dan  lead T-30d
  bob  Search    T-5d   "Ad 1"
  cat  Newsletter T-100d "Old issue"          deal "Acme platform" 10,000 with ann: created T+5d,
  cat  Webinar   T-3d   "Deck"                 won T+30d
  dan  Newsletter T-1d  "March issue"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from plumbline.crm.actions import (
    do_change_lifecycle,
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_move_deal,
)
from plumbline.crm.models import Contact, Deal, Pipeline
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoints
from plumbline.marketing.models import Campaign

T = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T + dt.timedelta(days=n)


@dataclass
class World:
    campaigns: dict[str, Campaign]
    contacts: dict[str, Contact]
    deal: Deal


def contact(email: str, *, company=None, at: dt.datetime = T - dt.timedelta(days=200), **fields) -> Contact:
    with mock.patch("django.utils.timezone.now", return_value=at):
        return do_create_contact(email=email, company=company, **fields)


def touch(who: Contact, campaign: Campaign, kind: str, at: dt.datetime, content: str = "") -> None:
    do_record_touchpoints(items=[{"contact_id": who.pk, "campaign_id": campaign.pk, "kind": kind,
                                  "occurred_at": at, "content": content}])


def build(pipeline: Pipeline) -> World:
    campaigns = {
        "Webinar": do_create_campaign(name="Webinar", channel="webinar", cost=Decimal("1000")),
        "Search ads": do_create_campaign(name="Search ads", channel="paid_search", cost=Decimal("2000")),
        "Newsletter": do_create_campaign(name="Newsletter", channel="email", cost=Decimal("500")),
    }
    acme = do_create_company(name="Acme", domain="acme.test")
    globex = do_create_company(name="Globex", domain="globex.test")
    people = {
        "ann": contact("ann@acme.test", company=acme, source="webinar"),
        "bob": contact("bob@acme.test", company=acme, source="ads"),
        "cat": contact("cat@example.org", source="ads"),
        "dan": contact("dan@globex.test", company=globex, source="newsletter"),
    }
    w, s, n = campaigns["Webinar"], campaigns["Search ads"], campaigns["Newsletter"]
    touch(people["ann"], w, "webinar_attended", day(-20), "Deck")
    touch(people["ann"], s, "ad_click", day(-10), "Ad 1")
    touch(people["ann"], n, "email_click", day(-2), "March issue")
    touch(people["ann"], s, "ad_click", day(10), "Ad 2")
    touch(people["bob"], s, "ad_click", day(-5), "Ad 1")
    touch(people["cat"], n, "email_open", day(-100), "Old issue")
    touch(people["cat"], w, "webinar_attended", day(-3), "Deck")
    touch(people["dan"], n, "email_open", day(-1), "March issue")
    for name, lead_at, mql_at in (("ann", -30, 0), ("bob", -30, 1), ("cat", -120, 0), ("dan", -30, None)):
        do_change_lifecycle(contact=people[name], to_stage="lead", occurred_at=day(lead_at))
        if mql_at is not None:
            do_change_lifecycle(contact=people[name], to_stage="mql", occurred_at=day(mql_at))
    deal = do_create_deal(name="Acme platform", pipeline=pipeline, amount=Decimal("10000"), company=acme,
                          contacts=[(people["ann"], "champion")], occurred_at=day(5))
    won = pipeline.stages.get(name="Won")
    do_move_deal(deal=deal, stage=won, occurred_at=day(30))
    return World(campaigns, people, deal)
