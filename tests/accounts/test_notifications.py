"""In-app notifications: the header count, the menu, the list page, marking read, and /api/v1/notifications."""

import pytest
from django.test import Client

from plumbline.accounts.actions import do_notify
from plumbline.accounts.models import Notification
from tests.api.conftest import Api


@pytest.fixture
def inbox(users):
    """rep1 has three notifications (two linking to a contact), rep2 one."""
    do_notify(user=users["rep1"], kind="assigned", message="New lead for you: Ann", url="/contacts/1/")
    do_notify(user=users["rep1"], kind="sla_breached", message="SLA breached: Bob", url="/contacts/2/")
    do_notify(user=users["rep1"], kind="info", message="Welcome aboard")
    do_notify(user=users["rep2"], kind="assigned", message="New lead for you: Cy", url="/contacts/3/")
    return {n.message: n for n in Notification.objects.all()}


@pytest.fixture
def rep1(users) -> Client:
    client = Client()
    client.force_login(users["rep1"])
    return client


@pytest.mark.django_db
def test_api_lists_only_your_own_newest_first_with_the_unread_count(tokens, inbox):
    body = Api(tokens["rep1"]).get("/notifications").json()
    assert [n["message"] for n in body["items"]] == ["Welcome aboard", "SLA breached: Bob", "New lead for you: Ann"]
    assert (body["unread_count"], body["next_cursor"]) == (3, None)
    page = Api(tokens["rep1"]).get("/notifications", limit=2).json()
    assert len(page["items"]) == 2 and page["next_cursor"]


@pytest.mark.django_db
def test_api_marks_one_or_all_read_and_not_someone_elses(tokens, inbox):
    api = Api(tokens["rep1"])
    ann = inbox["New lead for you: Ann"]
    r = api.post(f"/notifications/{ann.pk}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert [n["message"] for n in api.get("/notifications", unread=True).json()["items"]] == [
        "Welcome aboard", "SLA breached: Bob"]
    assert api.post(f"/notifications/{inbox['New lead for you: Cy'].pk}/read").status_code == 404
    assert api.post("/notifications/read", {}).json() == {"marked": 2, "unread_count": 0}
    assert Notification.objects.filter(user__username="rep2", read_at=None).count() == 1


@pytest.mark.django_db
def test_header_shows_the_unread_count_and_the_menu_loads_the_latest(rep1, inbox):
    home = rep1.get("/").content.decode()
    assert '<span class="badge unread-count">3</span>' in home
    menu = rep1.get("/notifications/menu/").content.decode()
    assert menu.index("Welcome aboard") < menu.index("SLA breached: Bob") < menu.index("New lead for you: Ann")
    assert "Cy" not in menu


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_follows_its_link(rep1, inbox):
    ann = inbox["New lead for you: Ann"]
    r = rep1.post(f"/notifications/{ann.pk}/read/", {"next": ann.url})
    assert (r.status_code, r["Location"]) == (302, "/contacts/1/")
    ann.refresh_from_db()
    assert ann.read_at is not None
    evil = rep1.post(f"/notifications/{inbox['SLA breached: Bob'].pk}/read/", {"next": "https://evil.example/"})
    assert evil["Location"] == "/notifications/"
    assert rep1.post(f"/notifications/{inbox['New lead for you: Cy'].pk}/read/").status_code == 404


@pytest.mark.django_db
def test_the_list_page_shows_full_dates_and_mark_all_read_empties_the_count(rep1, inbox):
    html = rep1.get("/notifications/").content.decode()
    assert html.count('class="unread"') == 3
    assert inbox["Welcome aboard"].created_at.strftime("%a %-d %b %Y, %H:%M") in html
    assert rep1.get("/notifications/read-all/").status_code == 405  # reads never write
    rep1.post("/notifications/read-all/")
    assert Notification.objects.filter(user__username="rep1", read_at=None).count() == 0
    assert "unread-count" not in rep1.get("/notifications/").content.decode()


@pytest.mark.django_db
def test_the_header_count_stops_at_nine_plus_without_counting_rows(rep1, users, django_assert_max_num_queries):
    for i in range(12):
        do_notify(user=users["rep1"], kind="info", message=f"News {i}")
    with django_assert_max_num_queries(6) as captured:
        html = rep1.get("/notifications/").content.decode()
    assert '<span class="badge unread-count">9+</span>' in html
    assert sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries) == 1  # the pager's, not the header's
