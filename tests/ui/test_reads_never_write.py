"""Reads never write (item 2 of issue 10): no GET of a page or of the API issues INSERT, UPDATE or DELETE, so a
read never waits for SQLite's write lock. Every route is walked, so a new page is guarded as soon as it exists."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from plumbline.accounts.actions import do_create_api_token
from plumbline.api import api
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.segments.actions import do_add_to_list, do_create_segment

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
SKIP = {"logout/"}  # GET /logout/ is refused (405) by Django; signing out is a POST
# GETs whose request IS the event being counted: a print campaign's vanity link records the scan (a tracking hit,
# the day's IP-hash salt, the processing task). They may write tracking's log and the task queue, nothing else.
TRACKED = {"/go/spring-flyer": ("tracking_", "django_tasks_database_")}


def ui_routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if not str(pattern.pattern).startswith("api/"):
                routes += ui_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + str(pattern.pattern))
    return [r for r in routes if r not in SKIP]


def api_routes() -> list[str]:
    return [path for path, ops in api.get_openapi_schema()["paths"].items() if "get" in ops]


def fill(route: str, ids: dict[str, int]) -> str | None:
    """The route with its parameters filled from the record, or None when the record has nothing for one."""
    first = route.strip("/").split("/")[0 if not route.startswith("/api/v1/") else 2]
    values = {**ids, "pk": ids.get(first, 0), "kind": "contacts", "slug": "spring-flyer", "token": "missing"}
    names = re.findall(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", route)
    for angle, brace in names:
        name = angle or brace
        if name not in values:
            return None
        route = re.sub(rf"<(?:\w+:)?{name}>|\{{{name}\}}", str(values[name]), route, count=1)
    return route if route.startswith("/") else "/" + route


def writes_of(client, url: str, **headers: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code < 500, url
    return [" ".join(q["sql"].split()[:3]).replace('"', "") for q in queries.captured_queries if WRITES.match(q["sql"])]


@pytest.fixture
def ids(record, users) -> dict[str, int]:
    do_record_touchpoints(items=[{"contact_id": record.contact.pk, "kind": "form_submit", "channel": "seo"}])
    pipeline = record.deal.pipeline
    # A static list holding the contact: its page shows members, history and the forms that change it.
    segment = do_create_segment(name="Fair visitors", kind="static")
    do_add_to_list(segment=segment, contact_ids=[record.contact.pk])
    return {
        "contacts": record.contact.pk, "companies": record.company.pk, "deals": record.deal.pk,
        "campaigns": record.campaign.pk, "pipelines": pipeline.pk, "contact_id": record.contact.pk,
        "company_id": record.company.pk, "deal_id": record.deal.pk, "campaign_id": record.campaign.pk,
        "pipeline_id": pipeline.pk, "number": 1, "stage_pk": pipeline.stages.first().pk, "segments": segment.pk,
        "segment_id": segment.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "rep2"])
def test_no_page_writes_on_get(ids, client_for, role):
    # Given a signed-in user and a record to look at
    client = client_for(role)
    client.get("/")  # the session's first request may save the session; that is a sign-in, not a read

    # When every page is opened, then none of them wrote anything
    urls = [url for route in ui_routes() if (url := fill(route, ids)) is not None]
    assert len(urls) > 60
    written = {url: w for url in urls if (w := writes_of(client, url))}
    for url in TRACKED:
        assert written.pop(url)  # the scan was counted
    assert written == {}
    # and: a tracked GET writes its own log only
    for url, tables in TRACKED.items():
        targets = {sql.split()[-1] for sql in writes_of(client, url)}
        assert targets and all(t.startswith(tables) for t in targets), targets


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "rep2"])
def test_no_api_get_writes(ids, client_for, users, role):
    # Given an API token used once already (its last-used time noted at most once a minute)
    raw = do_create_api_token(user=users[role])[1]
    client = client_for(role)
    auth = {"Authorization": f"Bearer {raw}"}
    client.get("/api/v1/me", headers=auth)

    # When every GET operation of the API is called, then none of them wrote anything
    urls = [url for route in api_routes() if (url := fill(route, ids)) is not None]
    assert len(urls) > 30
    assert {url: w for url in urls if (w := writes_of(client, url, **auth))} == {}
