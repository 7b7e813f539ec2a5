"""The change feed's page (/settings/events/): admins see readers and events, replay and prune; nobody else can."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from plumbline.events.actions import emit
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import drain, run_all
from plumbline.events.views import EVENTS_PER_PAGE
from tests.events.conftest import write

pytestmark = pytest.mark.django_db
URL = "/settings/events/"


@pytest.fixture
def as_user(users):
    def login(name: str, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(users[name])
        return client

    return login


def test_admin_sees_each_reader_s_state_lag_and_last_error(as_user, seen):
    _, failing = seen
    write(subject_id=1)
    failing["on"] = True
    run_all(budget=5)
    first = Event.objects.get().pk
    page = as_user("admin").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index('id="consumer-testrecorder"'):]
    row = row[:row.index("</tr>")]
    assert "Test recorder" in row and '<span class="badge danger">Failing</span>' in row
    assert "1 event</td>" in row and "RuntimeError: the recorder is down" in row and f"at event #{first}" in row
    assert f'hx-get="{URL}?part=consumers" hx-trigger="every 5s"' in html
    assert 'href="/settings/events/"' in html  # the nav link


def test_the_readers_table_refreshes_alone(as_user, seen):
    write(subject_id=1)
    drain()
    part = as_user("admin").get(URL, {"part": "consumers"})
    html = part.content.decode()
    assert html.lstrip().startswith('<section class="card" id="consumers"') and "<html" not in html
    assert '<span class="badge ok">Caught up</span>' in html


def test_events_show_labels_who_and_link_to_the_record(as_user, users):
    with transaction.atomic():
        emit(kind="contact.created", subject=("contact", 41), payload={"email": "a@x.test"}, actor=users["marketing"])
        emit(kind="touchpoint.recorded", subject=("touchpoint", 7), payload={"contact_id": 41})
    html = as_user("admin").get(URL).content.decode()
    created, touch = (Event.objects.get(kind=k).pk for k in ("contact.created", "touchpoint.recorded"))
    row = html[html.index(f'id="event-{created}"'):]
    row = row[:row.index("</tr>")]
    assert "Contact created" in row and '<a href="/contacts/41/">Contact 41</a>' in row
    assert "Marketing" in row and "email: a@x.test" in row
    other = html[html.index(f'id="event-{touch}"'):]
    assert "Touchpoint recorded" in other and "<td>Touchpoint 7</td>" in other[:other.index("</tr>")]
    assert html.index(f'id="event-{touch}"') < html.index(f'id="event-{created}"')  # newest first


def test_events_filter_and_page_without_counting_the_feed(as_user):
    with transaction.atomic():
        for n in range(EVENTS_PER_PAGE + 5):
            emit(kind="contact.updated", subject=("contact", n + 1))
        emit(kind="deal.won", subject=("deal", 3))
    admin = as_user("admin")
    won = admin.get(URL, {"kind": "deal.won"}).content.decode()
    assert won.count('<tr id="event-') == 1 and '<a href="/deals/3/">Deal 3</a>' in won
    assert '<option value="deal.won" selected>Deal won</option>' in won
    assert admin.get(URL, {"subject_type": "contact", "subject_id": 9}).content.decode().count('<tr id="event-') == 1
    first = admin.get(URL, {"kind": "contact.updated"}).content.decode()
    assert first.count('<tr id="event-') == EVENTS_PER_PAGE
    ids = list(Event.objects.filter(kind="contact.updated").order_by("-id").values_list("id", flat=True))
    assert f"kind=contact.updated&amp;before={ids[EVENTS_PER_PAGE - 1]}" in first
    older = admin.get(URL, {"kind": "contact.updated", "before": ids[EVENTS_PER_PAGE - 1]}).content.decode()
    assert older.count('<tr id="event-') == 5 and "Older →" not in older and "← Newest" in older


@pytest.mark.parametrize("params", [{"kind": "nonsense"}, {"subject_id": "x"}, {"before": "-3"},
                                    {"subject_id": str(2**64)}, {"subject_type": "a\x00b"}])
def test_odd_filters_filter_nothing_rather_than_fail(as_user, params):
    write(subject_id=1)
    page = as_user("admin").get(URL, params)
    assert page.status_code == 200


def test_replay_from_the_page_sets_the_reader_back(as_user, seen):
    got, _ = seen
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    second = Event.objects.order_by("id")[1].pk
    response = as_user("admin").post(f"{URL}consumers/test.recorder/replay/", {"from_event": second}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert f"Test recorder reads the feed again from event #{second}." in response.content.decode()
    assert ConsumerCursor.objects.get(name="test.recorder").position == second - 1
    drain()
    assert [g[2] for g in got] == [1, 2, 3, 2, 3]


@pytest.mark.parametrize(("value", "status", "message"), [
    ("", 422, "Give the id of an event, a whole number."), ("two", 422, "Give the id of an event, a whole number."),
    ("0", 422, "Replay from event 1 or later."), ("999999", 422, "There is no event #999999 yet"),
])
def test_a_bad_replay_shows_why_next_to_the_reader(as_user, seen, value, status, message):
    write(subject_id=1)
    drain()
    response = as_user("admin").post(f"{URL}consumers/test.recorder/replay/", {"from_event": value})
    assert response.status_code == status and message in response.content.decode()
    assert ConsumerCursor.objects.get(name="test.recorder").position == Event.objects.get().pk


def test_replaying_an_unknown_reader_is_404(as_user):
    response = as_user("admin").post(f"{URL}consumers/nobody/replay/", {"from_event": 1})
    assert response.status_code == 404 and "No consumer is named nobody." in response.content.decode()


def test_prune_now_deletes_old_events_every_reader_has_passed(as_user, seen, settings):
    for n in range(1, 3):
        write(subject_id=n)
    drain()
    Event.objects.filter(subject_id=1).update(recorded_at=timezone.now() - dt.timedelta(days=100))
    settings.EVENTS_RETENTION_DAYS = 90
    response = as_user("admin").post(f"{URL}prune/", follow=True)
    assert "Deleted 1 events older than 90 days that every consumer had passed." in response.content.decode()
    assert list(Event.objects.values_list("subject_id", flat=True)) == [2]


def test_the_forms_need_the_csrf_token(as_user, seen):
    write(subject_id=1)
    client = as_user("admin", enforce_csrf_checks=True)
    assert client.post(f"{URL}prune/").status_code == 403
    assert client.post(f"{URL}consumers/test.recorder/replay/", {"from_event": 1}).status_code == 403
    assert Event.objects.count() == 1


def test_replay_and_prune_take_only_posts(as_user):
    admin = as_user("admin")
    assert admin.get(f"{URL}prune/").status_code == 405
    assert admin.get(f"{URL}consumers/test.recorder/replay/").status_code == 405


@pytest.mark.parametrize("who", ["marketing", "manager", "rep1", "viewer"])
def test_nobody_but_admins_sees_or_operates_the_feed(as_user, seen, who):
    write(subject_id=1)
    client = as_user(who)
    page = client.get(URL)
    assert page.status_code == 403 and "Only admins may see and operate the change feed." in page.content.decode()
    assert client.get(URL, {"part": "consumers"}).status_code == 403
    assert client.post(f"{URL}consumers/test.recorder/replay/", {"from_event": 1}).status_code == 403
    assert client.post(f"{URL}prune/").status_code == 403
    assert 'href="/settings/events/"' not in client.get("/").content.decode()
    assert not ConsumerCursor.objects.filter(name="test.recorder").exists() and Event.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
