"""A segment's page: its header (kind, rule in words, counts), the members paged and searchable (HTMX too), the
members' CSV, the latest entries and exits with the whole history a page away, and a query count that does not
grow with the members."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plumbline.core.permissions import POLICY
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import CustomField
from plumbline.segments.actions import do_add_to_list, do_remove_from_list, do_snapshot
from plumbline.segments.models import MembershipChange
from plumbline.segments.predicate.explain import describe
from plumbline.segments.views import MEMBERS_PER_PAGE
from tests.segments.pages import (
    LEADS,
    all_tables,
    dynamic,
    rows,
    static,
    text,
)
from tests.ui.test_reads_never_write import WRITES

pytestmark = pytest.mark.django_db


def since(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day}, {local:%Y %H:%M}"


def members_of(html: str) -> list[str]:
    return re.findall(r"<td>([^<@]+@[^<]+)</td>", html)


def test_a_dynamic_segment_shows_its_rule_in_words_counts_and_members(people, users, client_for):
    # Given a segment of the leads
    leads = dynamic(users, description="Everyone still a lead.")

    # When a viewer opens it
    response = client_for("viewer").get(f"/segments/{leads.pk}/")
    html = response.content.decode()

    # Then the header says what it is, the rule in words, and the members are listed, latest to enter first
    assert response.status_code == 200
    assert '<h1>Leads <span class="badge">Dynamic</span></h1>' in html
    assert "Everyone still a lead." in html
    assert f'<p class="rule">{describe(LEADS)}</p>' in html
    assert "Lifecycle stage" in describe(LEADS)
    assert re.search(r"<dt>Members</dt><dd>3</dd>", html)
    assert f"<dt>Last evaluated</dt><dd>{since(leads.evaluated_at)}</dd>" in html
    joined = since(people.ann.segment_memberships.get().since)
    assert all_tables(html)[0] == [
        f"Dan Poe dan@globex.test Globex Lead not scored {joined} why?",
        f"Bob Roe bob@mail.test — Lead not scored {joined} why?",
        f"Ann Lee ann@acme.test Acme Lead Fit A (90) · engagement 40 {joined} why?",
    ]
    assert "<svg" in html and "Members of Leads, last 30 days" in html


def test_a_static_list_has_no_rule_and_a_snapshot_names_its_source(people, users, client_for):
    leads = dynamic(users)
    vip = static(users, contacts=(people.cat,))
    frozen = do_snapshot(by=users["marketing"], segment=leads, name="Leads then")
    client = client_for("viewer")
    vip_html = client.get(f"/segments/{vip.pk}/").content.decode()
    assert 'class="rule"' not in vip_html and "Static list" in vip_html
    snap_html = client.get(f"/segments/{frozen.pk}/").content.decode()
    assert "<h3>Taken with the rule</h3>" in snap_html
    assert f'of <a href="/segments/{leads.pk}/">Leads</a>' in snap_html
    assert members_of(snap_html) == ["dan@globex.test", "bob@mail.test", "ann@acme.test"]


def test_members_are_searched_by_name_email_or_company(people, users, client_for):
    leads = dynamic(users)
    client = client_for("viewer")
    assert members_of(client.get(f"/segments/{leads.pk}/?q=ann").content.decode()) == ["ann@acme.test"]
    assert members_of(client.get(f"/segments/{leads.pk}/?q=globex").content.decode()) == ["dan@globex.test"]
    assert members_of(client.get(f"/segments/{leads.pk}/?q=cat").content.decode()) == []  # not a member
    assert "No members match “cat”." in client.get(f"/segments/{leads.pk}/?q=cat").content.decode()


def test_an_htmx_search_returns_only_the_members_table(people, users, client_for):
    leads = dynamic(users)
    response = client_for("viewer").get(f"/segments/{leads.pk}/?q=bob", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<h1>" not in html
    assert members_of(html) == ["bob@mail.test"]


def test_members_page_by_50_and_the_search_stays_in_the_page_links(users, client_for):
    for i in range(MEMBERS_PER_PAGE + 1):
        do_create_contact(email=f"m{i:02d}@bulk.test", first_name=f"M{i:02d}", lifecycle_stage="lead")
    leads = dynamic(users)
    client = client_for("viewer")
    first = client.get(f"/segments/{leads.pk}/?q=m").content.decode()
    assert len(members_of(first)) == 50
    assert "1–50 of 51 members" in first
    assert 'href="?q=m&amp;page=2"' in first
    second = client.get(f"/segments/{leads.pk}/?q=m&page=2").content.decode()
    assert len(members_of(second)) == 1
    assert set(members_of(first)) | set(members_of(second)) == {f"m{i:02d}@bulk.test" for i in range(51)}
    unsearched = client.get(f"/segments/{leads.pk}/").content.decode()
    assert members_of(unsearched) == members_of(first) and "1–50 of 51 members" in unsearched
    assert members_of(client.get(f"/segments/{leads.pk}/?page=2").content.decode()) == members_of(second)


def test_the_members_page_costs_the_same_queries_for_one_member_or_many(
    people, users, client_for, django_assert_num_queries
):
    vip = static(users, contacts=(people.ann,))
    client = client_for("viewer")
    client.get(f"/segments/{vip.pk}/")
    # session, user, segment, members page (its count is the segment's), trend (2), latest changes, notifications
    with django_assert_num_queries(8):
        assert client.get(f"/segments/{vip.pk}/").status_code == 200
    do_add_to_list(
        by=users["marketing"], segment=vip, contact_ids=[people.bob.pk, people.cat.pk, people.dan.pk]
    )
    with django_assert_num_queries(8):
        html = client.get(f"/segments/{vip.pk}/").content.decode()
    assert len(members_of(html)) == 4
    with django_assert_num_queries(5):  # HTMX search: session, user, segment, count, page
        client.get(f"/segments/{vip.pk}/?q=a", headers={"HX-Request": "true"})


def test_the_members_csv_has_labelled_columns_and_every_member(people, users, client_for):
    quirky = do_create_contact(
        email="eve@mail.test", first_name="=SUM(A1)", last_name="Ode", lifecycle_stage="mql"
    )
    vip = static(users, contacts=(people.ann, quirky))
    response = client_for("viewer").get(f"/segments/{vip.pk}/members.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="segment-{vip.pk}-members.csv"'
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    joined = vip.memberships.get(contact=people.ann).since.isoformat()
    assert table == [
        [
            "Email",
            "First name",
            "Last name",
            "Company",
            "Lifecycle stage",
            "Fit grade",
            "Fit score",
            "Engagement score",
            "Member since",
        ],
        ["eve@mail.test", "'=SUM(A1)", "Ode", "", "Marketing qualified lead", "", "", "", joined],
        ["ann@acme.test", "Ann", "Lee", "Acme", "Lead", "A", "90", "40.4", joined],
    ]


def test_the_members_csv_needs_the_right_to_see_contacts(people, users, client_for, monkeypatch):
    vip = static(users, contacts=(people.ann,))
    monkeypatch.setitem(POLICY["viewer"], "contact", "none")
    response = client_for("viewer").get(f"/segments/{vip.pk}/members.csv")
    assert response.status_code == 403
    assert "Export members" not in client_for("viewer").get(f"/segments/{vip.pk}/").content.decode()


def test_entries_and_exits_show_the_latest_ten_and_the_history_pages(people, users, client_for):
    # Given a list that Ann entered and left, and Bob entered (by hand)
    vip = static(users, contacts=(people.ann, people.bob))
    do_remove_from_list(by=users["marketing"], segment=vip, contact_ids=[people.ann.pk])
    added, removed = (
        since(MembershipChange.objects.filter(segment=vip, entered=e).latest("pk").occurred_at)
        for e in (True, False)
    )

    # When the page and its history are opened
    client = client_for("viewer")
    latest = all_tables(client.get(f"/segments/{vip.pk}/").content.decode())[1]
    history = rows(client.get(f"/segments/{vip.pk}/history/").content.decode())

    # Then each change says who, which way, why (a label) and by whom, newest first
    expected = [
        f"{removed} Ann Lee Left Removed by hand Marketing",
        f"{added} Bob Roe Entered Added by hand Marketing",
        f"{added} Ann Lee Entered Added by hand Marketing",
    ]
    assert latest == expected
    assert history == expected


def test_the_history_page_pages_by_50(users, client_for):
    contacts = [do_create_contact(email=f"h{i:02d}@bulk.test", first_name=f"H{i:02d}") for i in range(51)]
    vip = static(users, contacts=tuple(contacts))
    client = client_for("viewer")
    first = client.get(f"/segments/{vip.pk}/history/").content.decode()
    assert len(rows(first)) == 50 and "1–50 of 51 entries and exits" in first
    assert len(rows(client.get(f"/segments/{vip.pk}/history/?page=2").content.decode())) == 1


def test_a_missing_segment_is_404_and_signing_in_comes_first(users, client_for):
    assert client_for("viewer").get("/segments/999999/").status_code == 404
    assert client_for("viewer").get("/segments/999999/members.csv").status_code == 404
    response = Client().get("/segments/1/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/segments/1/"
    assert text("<p>a<svg><title>x</title></svg>b</p>") == "a b"


def test_no_segment_page_writes_on_get(people, users, client_for):
    # Given each kind of segment, with members and history
    leads = dynamic(users)
    vip = static(users, contacts=(people.ann,))
    frozen = do_snapshot(by=users["marketing"], segment=leads, name="Leads then")
    client = client_for("marketing")
    client.get("/")  # the session's first request may save the session

    # When every page of theirs is opened, then none of them wrote anything
    urls = ["/segments/", "/segments/?kind=static", f"/contacts/{people.ann.pk}/"]
    for s in (leads, vip, frozen):
        urls += [
            f"/segments/{s.pk}/",
            f"/segments/{s.pk}/?q=ann",
            f"/segments/{s.pk}/history/",
            f"/segments/{s.pk}/members.csv",
        ]
    urls.append(f"/segments/{vip.pk}/members/candidates/?q=bob")
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
        assert [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])] == [], url


def test_the_page_links_to_the_builder_and_to_why_a_contact_is_in(people, users, client_for):
    leads = dynamic(users)
    vip = static(users, contacts=(people.ann,))
    frozen = do_snapshot(by=users["marketing"], segment=leads, name="Leads then")
    marketing, viewer = client_for("marketing"), client_for("viewer")
    page = marketing.get(f"/segments/{leads.pk}/").content.decode()
    assert f'<a class="button" href="/segments/{leads.pk}/edit/">Edit</a>' in page
    assert f'<form method="get" action="/segments/{leads.pk}/why/">' in page
    assert re.findall(rf'href="/segments/{leads.pk}/why/\?contact=(\d+)"', page) == [
        str(people.dan.pk),
        str(people.bob.pk),
        str(people.ann.pk),
    ]
    assert f"/segments/{leads.pk}/edit/" not in viewer.get(f"/segments/{leads.pk}/").content.decode()
    assert f"/segments/{vip.pk}/edit/" in marketing.get(f"/segments/{vip.pk}/").content.decode()
    for other in (vip, frozen):  # a list's members are there by hand, a snapshot's by the day it was taken
        html = marketing.get(f"/segments/{other.pk}/").content.decode()
        assert "/why/" not in html
    assert f"/segments/{frozen.pk}/edit/" not in marketing.get(f"/segments/{frozen.pk}/").content.decode()


def test_a_rule_naming_a_deleted_custom_field_says_so_instead_of_failing(people, users, client_for):
    field = CustomField.objects.create(applies_to="contact", key="plan", label="Plan", type="text")
    pro = dynamic(
        users,
        name="Pro",
        predicate={"any": [{"all": [{"field": "custom.plan", "op": "eq", "value": "pro"}]}]},
    )
    field.delete()
    response = client_for("viewer").get(f"/segments/{pro.pk}/")
    assert response.status_code == 200
    assert '<p class="rule">This rule no longer holds: unknown field &#x27;custom.plan&#x27;</p>' in (
        response.content.decode()
    )
