"""The segment list: every segment with its kind, members, trend and owner; the kind filter, pages of 50, a query
count that does not grow with the segments, and who sees it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from plumbline.segments import queries
from plumbline.segments.actions import do_create_segment, do_refresh_segment, do_snapshot, do_update_segment
from plumbline.segments.models import Segment
from plumbline.segments.views import SEGMENTS_PER_PAGE, TREND_DAYS, _listing, trends
from tests.segments.pages import LEADS, dynamic, rows, static

pytestmark = pytest.mark.django_db


def stamp(moment: dt.datetime) -> str:
    """A moment as the pages print it ("Dec 5, 2026 14:03")."""
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day}, {local:%Y %H:%M}"


def names(html: str) -> list[str]:
    return re.findall(r'<a href="/segments/\d+/">([^<]+)</a>', html)


def test_the_list_shows_each_segment_with_its_kind_members_and_owner(people, users, client_for):
    # Given a dynamic segment of the three leads, a static list of one and a snapshot of the leads
    leads = dynamic(users)
    static(users, contacts=(people.cat,))
    snapshot = do_snapshot(by=users["marketing"], segment=leads, name="Leads in December")

    # When a viewer opens the list
    response = client_for("viewer").get("/segments/")

    # Then each segment is a row, by name, with labels (not codes), its count and its owner
    assert response.status_code == 200
    assert rows(response.content.decode()) == [
        f"Leads Dynamic 3 {stamp(leads.evaluated_at)} Marketing",
        f"Leads in December snapshot of Leads Snapshot 3 taken {stamp(snapshot.snapshot_at)} Marketing",
        "VIP list Static list 1 kept by hand Marketing",
    ]


def test_the_kind_filter_keeps_one_kind_and_ignores_an_unknown_one(people, users, client_for):
    dynamic(users)
    static(users)
    static(users, name="Fair visitors")
    client = client_for("viewer")
    assert names(client.get("/segments/?kind=static").content.decode()) == ["Fair visitors", "VIP list"]
    assert names(client.get("/segments/?kind=dynamic").content.decode()) == ["Leads"]
    assert names(client.get("/segments/?kind=snapshot").content.decode()) == []
    assert names(client.get("/segments/?kind=bogus").content.decode()) == [
        "Fair visitors",
        "Leads",
        "VIP list",
    ]
    assert "No segments of this kind." in client.get("/segments/?kind=snapshot").content.decode()


def test_each_row_carries_a_bar_per_day_of_the_last_30_days(people, users, client_for):
    # Given the leads segment evaluated five and two days ago (one lead then, two later) and today (three)
    today = timezone.localdate()
    now = timezone.now()
    leads = dynamic(
        users, predicate={"any": [{"all": [{"field": "email", "op": "eq", "value": "ann@acme.test"}]}]}
    )
    do_refresh_segment(segment=leads, now=now - dt.timedelta(days=5))
    do_update_segment(
        by=users["marketing"],
        segment=leads,
        predicate={
            "any": [{"all": [{"field": "email", "op": "in", "value": ["ann@acme.test", "bob@mail.test"]}]}]
        },
    )
    leads.refresh_from_db()
    do_refresh_segment(segment=leads, now=now - dt.timedelta(days=2))

    # When the list is opened
    html = client_for("viewer").get("/segments/").content.decode()

    # Then the sparkline has one bar per day: none before the first count, then each day's last count
    tips = re.findall(
        r"<title>([^<]+)</title>", re.search(r'<svg class="chart sparkline".*?</svg>', html, re.S).group()
    )
    days = [today - dt.timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
    expected = []
    for day in days:
        ago = (today - day).days
        n = 2 if ago <= 2 else 1 if ago <= 5 else 0
        expected.append(f"{day:%b} {day.day}: {n} member{'' if n == 1 else 's'}")
    assert tips == expected
    assert html.count('<svg class="chart sparkline"') == 1


def test_the_list_pages_by_50_and_keeps_the_filter_in_the_page_links(users, client_for):
    for i in range(SEGMENTS_PER_PAGE + 1):
        do_create_segment(by=users["marketing"], name=f"List {i:02d}", kind="static")
    client = client_for("viewer")
    first = client.get("/segments/?kind=static").content.decode()
    assert names(first) == [f"List {i:02d}" for i in range(SEGMENTS_PER_PAGE)]
    assert "1–50 of 51 segments" in first
    assert 'href="?kind=static&amp;page=2"' in first
    second = client.get("/segments/?kind=static&page=2").content.decode()
    assert names(second) == ["List 50"]
    assert names(client.get("/segments/?page=99").content.decode()) == [
        "List 50"
    ]  # past the end: the last page


def test_the_list_costs_the_same_queries_for_one_segment_or_many(
    people, users, client_for, django_assert_num_queries
):
    client = client_for("viewer")
    client.get("/segments/")
    dynamic(users)
    # session, user, count, the page (owner, source and the count before the window joined), the window's counts,
    # the notifications menu
    with django_assert_num_queries(6):
        assert client.get("/segments/").status_code == 200
    static(users, contacts=(people.ann, people.bob))
    dynamic(
        users,
        name="Customers",
        predicate={"any": [{"all": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]}]},
    )
    do_snapshot(by=users["marketing"], segment=Segment.objects.get(name="Customers"), name="Customers then")
    with django_assert_num_queries(6):
        assert client.get("/segments/").status_code == 200


@pytest.mark.parametrize("role", ["admin", "marketing", "rep1", "manager", "viewer"])
def test_every_role_sees_segments_in_the_marketing_menu_and_the_list(role, client_for):
    client = client_for(role)
    assert '<a href="/segments/">Segments</a>' in client.get("/").content.decode()
    assert client.get("/segments/").status_code == 200


def test_only_those_who_may_add_segments_get_the_new_buttons(users, client_for):
    marketing = client_for("marketing").get("/segments/").content.decode()
    viewer = client_for("viewer").get("/segments/").content.decode()
    assert '<a class="button" href="/segments/new/?kind=static">New static list</a>' in marketing
    assert '<a class="button primary" href="/segments/new/?kind=dynamic">New segment</a>' in marketing
    assert "New static list" not in viewer and "New segment" not in viewer
    assert "No segments yet." in viewer


def test_signing_in_comes_first(db):
    response = Client().get("/segments/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/segments/"


def test_the_lists_trends_agree_with_each_segments_own_trend(people, users):
    # Given segments with counts before the window, inside it, and none at all
    now = timezone.now()
    leads = dynamic(users)
    do_refresh_segment(segment=leads, now=now - dt.timedelta(days=45))  # 3 leads
    only_ann = {"any": [{"all": [{"field": "email", "op": "eq", "value": "ann@acme.test"}]}]}
    do_update_segment(by=users["marketing"], segment=leads, predicate=only_ann)
    do_refresh_segment(segment=leads, now=now - dt.timedelta(days=31))  # 1, the last count before the window
    do_update_segment(by=users["marketing"], segment=leads, predicate=LEADS)
    do_refresh_segment(segment=leads, now=now - dt.timedelta(days=12))  # 3 again
    vip = static(users, contacts=(people.ann,))
    empty = static(users, name="Empty list")

    # When the list computes them for its page at once, then each is what queries.trend says on its own
    today = timezone.localdate()
    page = list(_listing(None, today - dt.timedelta(days=TREND_DAYS - 1)))
    assert trends(page, today=today) == {s.pk: queries.trend(s, days=TREND_DAYS, today=today) for s in page}
    assert {s.pk for s in page} == {leads.pk, vip.pk, empty.pk}
    assert [n for _, n in trends(page, today=today)[leads.pk]] == [1] * 17 + [3] * 13
