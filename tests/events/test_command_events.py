"""`plumbline events status | replay | prune | tail`."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from plumbline.events.actions import emit
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import drain, run_all
from tests.events.conftest import write

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("events", *args, stdout=out)
    return out.getvalue()


def test_status_shows_each_consumer_s_state_lag_and_last_error(seen):
    _, failing = seen
    write(subject_id=1)
    failing["on"] = True
    run_all(budget=5)
    first = Event.objects.get().pk
    lines = run("status").splitlines()
    assert lines[0].split()[:4] == ["CONSUMER", "STATE", "POSITION", "LAG"]
    [row] = [line for line in lines if "(test.recorder)" in line]
    # state, position, lag 1, how long it has waited, processed 0, held by nobody
    assert re.match(rf"Test recorder \(test\.recorder\)\s+Failing\s+#0 of #{first}\s+1\s+(<1|\d+) (s|min|h|days)\s+0\s+-\s",
                    row)
    assert row.endswith(f"at #{first}: RuntimeError: the recorder is down")


def test_status_as_json_gives_every_figure(seen):
    got, _ = seen
    write(subject_id=1)
    write(subject_id=2)
    drain()
    write(subject_id=3)
    [recorder] = [c for c in json.loads(run("status", "--json")) if c["name"] == "test.recorder"]
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert (recorder["state"], recorder["state_label"], recorder["position"], recorder["head"], recorder["lag"],
            recorder["processed"], recorder["failures"]) == ("behind", "Behind", ids[1], ids[2], 1, 2, 0)
    assert recorder["kinds"] == ["contact.created", "contact.updated"] and recorder["last_error"] == ""
    assert dt.datetime.fromisoformat(recorder["caught_up_at"]) <= timezone.now()


def test_replay_sets_the_consumer_back(seen):
    got, _ = seen
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    third = Event.objects.order_by("id")[2].pk
    assert run("replay", "test.recorder", "--from", str(third)) == (
        f"test.recorder reads the feed again from event #{third}; the worker picks it up.\n")
    assert ConsumerCursor.objects.get(name="test.recorder").position == third - 1
    drain()
    assert [g[2] for g in got] == [1, 2, 3, 3]


@pytest.mark.parametrize(("args", "message"), [
    (("replay", "nobody", "--from", "1"), "No consumer is named nobody."),
    (("replay", "test.recorder", "--from", "0"), "Replay from event 1 or later."),
    (("replay", "test.recorder"), "--from"),
    (("prune", "--days", "-3"), "keep events 0 to 36,500 days"),
    (("tail", "--kind", "contact.creatd"), "invalid choice"),
    (("tail", "-n", "0"), "-n must be 1 to 10,000."),
])
def test_bad_arguments_are_refused_with_the_reason(seen, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        run(*args)


def test_prune_deletes_old_events_every_consumer_has_passed(seen, settings):
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    Event.objects.filter(subject_id=1).update(recorded_at=timezone.now() - dt.timedelta(days=100))
    Event.objects.filter(subject_id=2).update(recorded_at=timezone.now() - dt.timedelta(days=20))
    settings.EVENTS_RETENTION_DAYS = 90
    last = Event.objects.order_by("id").last().pk
    assert run("prune") == f"Deleted 1 events older than 90 days (every consumer has passed event #{last}).\n"
    assert run("prune", "--days", "10").startswith("Deleted 1 events older than 10 days")
    assert list(Event.objects.values_list("subject_id", flat=True)) == [3]


def test_tail_prints_the_last_events_oldest_first_with_labels(users):
    with transaction.atomic():
        emit(kind="contact.created", subject=("contact", 1), payload={"email": "a@x.test"}, actor=users["admin"])
        emit(kind="deal.won", subject=("deal", 2), payload={"amount": "10.00"})
        emit(kind="contact.updated", subject=("contact", 1), payload={"fields": ["title"]})
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    lines = run("tail", "-n", "2").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"#{ids[1]}  ") and lines[0].endswith(
        'Deal won (deal.won)  deal 2  by system  {"amount":"10.00"}')
    assert lines[1].endswith('Contact updated (contact.updated)  contact 1  by system  {"fields":["title"]}')
    [only] = run("tail", "--kind", "contact.created").splitlines()
    assert only.endswith('Contact created (contact.created)  contact 1  by admin  {"email":"a@x.test"}')
