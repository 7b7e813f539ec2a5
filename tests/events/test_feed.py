"""The change feed: events written with the change, read in order by consumers that keep durable cursors."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plumbline.core.errors import DomainError
from plumbline.events import registry
from plumbline.events.actions import EventSpec, do_prune, do_replay, emit, emit_many
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.queries import consumer_status
from plumbline.events.runner import claim, drain, release, run_all
from plumbline.events.tasks import PUMP_PATH


@pytest.fixture
def seen():
    """A consumer of contact events that records what it was given, and can be told to fail."""
    got: list[tuple[int, str, int]] = []
    failing = {"on": False}

    @registry.consumer("test.recorder", kinds={"contact.created", "contact.updated"}, label="Test recorder",
                       batch_size=3)
    def record(events):
        if failing["on"]:
            raise RuntimeError("the recorder is down")
        got.extend((e.id, e.kind, e.subject_id) for e in events)

    record.failing = failing
    yield got, failing
    registry.unregister("test.recorder")


def write(kind="contact.created", subject_id=1, **payload):
    with transaction.atomic():
        emit(kind=kind, subject=("contact", subject_id), payload=payload)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_written_only_inside_the_transaction_of_its_change():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        emit(kind="contact.created", subject=("contact", 1))
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="contact.creatd"), transaction.atomic():
        emit(kind="contact.creatd", subject=("contact", 1))


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        emit(kind="contact.created", subject=("contact", 1))
        1 / 0  # noqa: B018
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_the_consumer_gets_its_kinds_in_order_once_and_its_cursor_follows(seen, users):
    got, _ = seen
    when = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    with transaction.atomic():
        emit(kind="contact.created", subject=("contact", 1), actor=users["marketing"], occurred_at=when,
             payload={"email": "a@x.test"})
        emit(kind="touchpoint.recorded", subject=("touchpoint", 9), payload={"contact_id": 1})
        emit_many([EventSpec("contact.updated", "contact", n, {"fields": ["title"]}) for n in range(2, 7)])
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    first = Event.objects.get(pk=ids[0])
    assert (first.actor, first.occurred_at, first.payload) == (users["marketing"], when, {"email": "a@x.test"})

    assert drain() >= 6
    assert got == [(ids[0], "contact.created", 1)] + [(ids[n], "contact.updated", n) for n in range(2, 7)]
    cursor = ConsumerCursor.objects.get(name="test.recorder")
    assert (cursor.position, cursor.processed, cursor.failures) == (ids[-1], 6, 0)
    assert drain() == 0  # nothing new: nothing handled twice
    assert len(got) == 6


@pytest.mark.django_db
def test_a_failing_consumer_keeps_its_place_records_why_and_catches_up_once_fixed(seen):
    got, failing = seen
    write(subject_id=1)
    failing["on"] = True
    run_all(budget=5)
    cursor = ConsumerCursor.objects.get(name="test.recorder")
    assert cursor.position == 0 and cursor.failures == 1
    assert "the recorder is down" in cursor.last_error and cursor.retry_at > timezone.now()
    status = next(s for s in consumer_status() if s.name == "test.recorder")
    assert (status.state, status.lag, status.last_error_event) == ("Failing", 1, Event.objects.get().pk)

    failing["on"] = False
    run_all(budget=5)  # still waiting for its retry time
    assert got == []
    ConsumerCursor.objects.filter(name="test.recorder").update(retry_at=timezone.now() - dt.timedelta(seconds=1))
    drain()
    assert [g[2] for g in got] == [1]
    cursor.refresh_from_db()
    assert (cursor.failures, cursor.retry_at) == (0, None)
    assert next(s for s in consumer_status() if s.name == "test.recorder").state == "Caught up"


@pytest.mark.django_db
def test_an_atomic_consumer_s_writes_roll_back_with_its_failed_batch(seen):
    """What the handler wrote before it failed is undone with the cursor's advance: exactly once in effect."""

    @registry.consumer("test.writer", kinds={"contact.created"}, label="Writes then fails")
    def writer(events):
        with transaction.atomic():
            emit(kind="contact.updated", subject=("contact", 99))
        raise RuntimeError("after writing")

    try:
        write(subject_id=1)
        run_all(budget=5)
        assert not Event.objects.filter(subject_id=99).exists()
        assert ConsumerCursor.objects.get(name="test.writer").position == 0
    finally:
        registry.unregister("test.writer")


@pytest.mark.django_db
def test_a_consumer_held_by_one_worker_is_not_taken_by_another_until_its_lease_lapses(seen):
    consumer = registry.get("test.recorder")
    now = timezone.now()
    assert claim(consumer, now=now, owner="worker-a")
    assert not claim(consumer, now=now, owner="worker-b")
    assert claim(consumer, now=now + dt.timedelta(minutes=2), owner="worker-b")  # worker-a died
    release(consumer, owner="worker-b")
    assert claim(consumer, now=now, owner="worker-a")


@pytest.mark.django_db
def test_replay_reads_again_from_an_event(seen):
    got, _ = seen
    for n in range(1, 5):
        write(subject_id=n)
    drain()
    third = Event.objects.order_by("id")[2].pk
    do_replay(name="test.recorder", from_event=third)
    drain()
    assert [g[2] for g in got] == [1, 2, 3, 4, 3, 4]
    with pytest.raises(DomainError) as error:
        do_replay(name="nobody", from_event=1)
    assert error.value.field == "name"


@pytest.mark.django_db
def test_prune_removes_old_events_every_consumer_has_passed_and_nothing_else(seen, settings):
    for n in range(1, 5):
        write(subject_id=n)
    old = timezone.now() - dt.timedelta(days=100)
    Event.objects.filter(subject_id__in=[1, 2, 3]).update(recorded_at=old)
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    for consumer in registry.consumers():
        ConsumerCursor.objects.update_or_create(name=consumer.name, defaults={"position": ids[-1]})
    ConsumerCursor.objects.filter(name="test.recorder").update(position=ids[1])  # the slowest has passed two
    settings.EVENTS_RETENTION_DAYS = 90
    pruned = do_prune()
    assert pruned.deleted == 2
    assert list(Event.objects.order_by("id").values_list("subject_id", flat=True)) == [3, 4]


@pytest.mark.django_db(transaction=True)
def test_writing_events_queues_one_pump_that_a_worker_runs(seen):
    got, _ = seen
    write(subject_id=1)
    write(subject_id=2)
    assert DBTaskResult.objects.filter(task_path=PUMP_PATH, status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert [g[2] for g in got] == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_later_writer_waits_so_ids_follow_commit_order():
    """Writer A takes an id, writer B takes a later one; B cannot commit before A, or a consumer that read B
    would skip A for good."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    from django.db import connections

    commits: list[str] = []
    a_holds = threading.Event()

    def writer_b():
        try:
            a_holds.wait(10)
            with transaction.atomic():
                emit(kind="contact.created", subject=("contact", 2))
            commits.append("B")
        finally:
            connections.close_all()

    b = threading.Thread(target=writer_b)
    b.start()
    with transaction.atomic():
        emit(kind="contact.created", subject=("contact", 1))
        a_holds.set()
        with connection.cursor() as cursor:  # wait until B is blocked on the feed's lock
            for _ in range(10_000):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                if cursor.fetchone()[0]:
                    break
            else:
                pytest.fail("writer B never waited for the feed lock")
        commits.append("A")
    b.join(10)
    a_id, b_id = (Event.objects.get(subject_id=n).pk for n in (1, 2))
    assert commits == ["A", "B"] and a_id < b_id
