"""What the segment page tests share: a few contacts and segments built through the real actions, and readers of
the rendered pages (rows of a table, the page's messages)."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from typing import Any

from django.test import Client

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.scoring.models import ContactScore
from plumbline.segments.actions import do_add_to_list, do_create_segment
from plumbline.segments.models import Segment

LEADS = {"any": [{"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]}]}


@dataclass
class People:
    ann: Any
    bob: Any
    cat: Any
    dan: Any


def make_people() -> People:
    """Ann and Bob are leads (Ann at Acme, scored), Cat a customer, Dan a lead at Globex."""
    acme = do_create_company(name="Acme", domain="acme.test")
    globex = do_create_company(name="Globex", domain="globex.test")
    ann = do_create_contact(
        email="ann@acme.test", first_name="Ann", last_name="Lee", company=acme, lifecycle_stage="lead"
    )
    bob = do_create_contact(email="bob@mail.test", first_name="Bob", last_name="Roe", lifecycle_stage="lead")
    cat = do_create_contact(
        email="cat@mail.test", first_name="Cat", last_name="Kim", lifecycle_stage="customer"
    )
    dan = do_create_contact(
        email="dan@globex.test", first_name="Dan", last_name="Poe", company=globex, lifecycle_stage="lead"
    )
    # Scores are scoring's computed state; the page only reads the row.
    ContactScore.objects.create(
        contact=ann,
        fit_score=90,
        fit_grade="A",
        engagement_score=40.4,
        definition_version=1,
        computed_at=ann.created_at,
    )
    return People(ann, bob, cat, dan)


def dynamic(users: dict, name: str = "Leads", predicate: dict | None = None, **kwargs: Any) -> Segment:
    return do_create_segment(
        by=users["marketing"], name=name, kind="dynamic", predicate=predicate or LEADS, **kwargs
    )


def static(users: dict, name: str = "VIP list", contacts: tuple = (), **kwargs: Any) -> Segment:
    segment = do_create_segment(by=users["marketing"], name=name, kind="static", **kwargs)
    if contacts:
        do_add_to_list(by=users["marketing"], segment=segment, contact_ids=[c.pk for c in contacts])
    segment.refresh_from_db()
    return segment


def text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed (charts left out: their text is tooltips)."""
    fragment = re.sub(r"<svg.*?</svg>", " ", fragment, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(html: str, tbody_id: str | None = None) -> list[str]:
    """The text of each row of the page's table bodies (of the first table when the page has several)."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S)
    return [text(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)] if body else []


def all_tables(html: str) -> list[list[str]]:
    return [
        [text(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
        for body in re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, re.S)
    ]


def messages_of(client: Client, url: str) -> list[str]:
    """The flash messages the next page shows."""
    page = client.get(url).content.decode()
    box = re.search(r'<ul class="messages">(.*?)</ul>', page, re.S)
    return [text(m) for m in re.findall(r"<li[^>]*>(.*?)</li>", box.group(1), re.S)] if box else []


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
