"""The feed's API (admins only): events, consumers, replay, prune."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plumbline.events.actions import emit
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import drain, run_all
from tests.events.conftest import write

pytestmark = pytest.mark.django_db


def ids() -> list[int]:
    return list(Event.objects.order_by("id").values_list("id", flat=True))


def test_admin_reads_events_newest_first_with_labels_and_who(api, users):
    with transaction.atomic():
        emit(kind="contact.created", subject=("contact", 5), payload={"email": "a@x.test"}, actor=users["marketing"])
    write(kind="deal.won", subject_id=9)
    body = api("admin").get("/events").json()
    assert [(e["kind"], e["kind_label"], e["subject_type"], e["subject_id"]) for e in body["items"]] == [
        ("deal.won", "Deal won", "contact", 9), ("contact.created", "Contact created", "contact", 5)]
    assert (body["items"][1]["actor"], body["items"][1]["payload"]) == ("marketing", {"email": "a@x.test"})
    assert body["items"][0]["actor"] is None and body["next_cursor"] is None


def test_events_filter_by_kind_subject_and_after_and_page(api):
    for n in range(1, 6):
        write(kind="contact.updated" if n % 2 else "contact.created", subject_id=n)
    every = ids()
    admin = api("admin")
    assert [e["subject_id"] for e in admin.get("/events", kind="contact.created").json()["items"]] == [4, 2]
    assert [e["id"] for e in admin.get("/events", subject_type="contact", subject_id=3).json()["items"]] == [every[2]]
    assert admin.get("/events", subject_type="deal").json()["items"] == []
    following = admin.get("/events", sort="id", after=every[1], limit=2).json()
    assert [e["id"] for e in following["items"]] == every[2:4]
    rest = admin.get("/events", sort="id", after=every[1], limit=2, cursor=following["next_cursor"]).json()
    assert ([e["id"] for e in rest["items"]], rest["next_cursor"]) == (every[4:], None)


@pytest.mark.parametrize(("params", "field"), [
    ({"kind": "contact.creatd"}, "kind"), ({"subject_id": 0}, "subject_id"), ({"after": -1}, "after"),
    ({"limit": 500}, "limit"), ({"sort": "kind"}, "sort"), ({"cursor": "nonsense"}, "cursor"),
])
def test_bad_event_filters_are_422_naming_the_field(api, params, field):
    response = api("admin").get("/events", **params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_consumers_show_lag_state_and_last_error(api, seen):
    got, failing = seen
    write(subject_id=1)
    failing["on"] = True
    run_all(budget=5)
    write(subject_id=2)
    [recorder] = [c for c in api("admin").get("/events/consumers").json() if c["name"] == "test.recorder"]
    first = ids()[0]
    assert (recorder["label"], recorder["kinds"], recorder["state"], recorder["state_label"]) == (
        "Test recorder", ["contact.created", "contact.updated"], "failing", "Failing")
    assert (recorder["position"], recorder["head"], recorder["lag"], recorder["last_error_event"]) == (
        0, ids()[-1], 2, first)
    assert "the recorder is down" in recorder["last_error"] and recorder["lag_seconds"] >= 0
    assert recorder["running_in"] == "" and recorder["failures"] == 1


def test_replay_sets_the_consumer_back_and_it_reads_again(api, seen):
    got, _ = seen
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    second = ids()[1]
    response = api("admin").post("/events/consumers/test.recorder/replay", {"from_event": second})
    assert response.status_code == 200
    assert (response.json()["position"], response.json()["state"], response.json()["lag"]) == (
        second - 1, "behind", 2)
    drain()
    assert [g[2] for g in got] == [1, 2, 3, 2, 3]


PAST_THE_END = object()


@pytest.mark.parametrize(("body", "field"), [
    ({"from_event": 0}, "from_event"), ({"from_event": "3"}, "from_event"), ({}, "from_event"),
    ({"from_event": 1, "to": 2}, "to"), ({"from_event": PAST_THE_END}, "from_event"),
])
def test_a_bad_replay_is_422_naming_the_field(api, seen, body, field):
    write(subject_id=1)
    if body.get("from_event") is PAST_THE_END:  # PostgreSQL's ids go on from earlier tests: beyond the last one
        body = {"from_event": Event.objects.order_by("-id").values_list("id", flat=True)[0] + 1_000}
    response = api("admin").post("/events/consumers/test.recorder/replay", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ConsumerCursor.objects.filter(name="test.recorder", position__gt=0).exists()


def test_replaying_a_consumer_nobody_registered_is_404(api):
    response = api("admin").post("/events/consumers/nobody/replay", {"from_event": 1})
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "name"


def test_prune_deletes_old_events_every_consumer_has_passed(api, seen, settings):
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    Event.objects.filter(subject_id__in=[1, 2]).update(recorded_at=timezone.now() - dt.timedelta(days=40))
    settings.EVENTS_RETENTION_DAYS = 90
    admin = api("admin")
    assert admin.post("/events/prune").json() == {"deleted": 0, "below": ids()[-1], "retention_days": 90}
    assert admin.post("/events/prune", {"days": 30}).json() == {"deleted": 2, "below": ids()[-1], "retention_days": 30}
    assert [e.subject_id for e in Event.objects.all()] == [3]
    assert admin.post("/events/prune", {"days": 30}).json()["deleted"] == 0


@pytest.mark.parametrize("body", [{"days": -1}, {"days": 1.5}, {"days": "30"}, {"days": 100_000}])
def test_a_bad_retention_is_422_naming_days(api, body):
    response = api("admin").post("/events/prune", body)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["days"]


@pytest.mark.parametrize("who", ["marketing", "manager", "rep1", "viewer"])
def test_only_admins_may_use_the_feed_api(api, seen, who):
    write(subject_id=1)
    client = api(who)
    assert client.get("/events").status_code == 403
    assert client.get("/events/consumers").status_code == 403
    assert client.post("/events/consumers/test.recorder/replay", {"from_event": 1}).status_code == 403
    assert client.post("/events/prune", {"days": 0}).status_code == 403
    assert Event.objects.count() == 1 and not ConsumerCursor.objects.filter(name="test.recorder").exists()


def test_anonymous_callers_are_401(api):
    assert api(None).get("/events").status_code == 401
    assert api(None).post("/events/prune").status_code == 401


def test_the_events_list_costs_the_same_queries_however_many_actors(api, users):
    admin = api("admin")

    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get("/events").status_code == 200
        return len(captured)

    with transaction.atomic():
        emit(kind="contact.created", subject=("contact", 1), actor=users["rep1"])
    queries_for_a_page()  # the first request also looks the token up and warms what a process caches
    few = queries_for_a_page()
    with transaction.atomic():
        for name in ("rep2", "manager", "marketing", "viewer"):
            emit(kind="contact.updated", subject=("contact", 1), actor=users[name])
    assert queries_for_a_page() == few
