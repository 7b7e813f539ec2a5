"""All-or-nothing imports commit chunk by chunk, so other writers get the database between chunks, and still write
nothing when any row fails: the committed chunks are undone, at once or, when the process died, by the next import."""

from __future__ import annotations

import io
import subprocess
import threading

import pytest
from django.db import connection, transaction

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Company, Contact, LifecycleTransition
from plumbline.interop import actions
from plumbline.interop.actions import do_import
from plumbline.interop.models import ImportRun, ImportUndo
from plumbline.interop.undo import HOST, recover_interrupted_imports

# Chunks of two rows: line 2-3 is the first chunk, 4-5 the second, 6-7 the third.
GOOD = (b"email,title,company_domain,lifecycle_stage\n"
        b"old@known.com,CEO,,\n"
        b"a@new1.com,CTO,new1.com,lead\n"
        b"b@new2.com,,new2.com,\n"
        b"c@new3.com,,,\n"
        b"d@new4.com,,,\n")
LATE_ERROR = GOOD + b"not-an-email,,,\n"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(actions, "CHUNK_ROWS", 2)


@pytest.fixture
def known(db):
    return do_create_contact(email="old@known.com", title="Engineer")


def _state():
    return (sorted(Contact.objects.values_list("email", "title")), Company.objects.count(),
            LifecycleTransition.objects.count())


@pytest.mark.django_db
def test_a_late_chunk_failing_undoes_the_chunks_already_committed(known):
    before = _state()
    committed = []

    def after_chunk(line):  # runs after each chunk's commit
        committed.append((line, Contact.objects.count()))

    report = do_import(kind="contacts", stream=io.BytesIO(LATE_ERROR), filename="c.csv", progress=after_chunk)
    # the first two chunks were written and committed before line 7 failed ...
    assert committed[:2] == [(3, 2), (5, 4)]
    # ... and the import is rejected with everything undone: the new contacts, companies and transitions, and the
    # title it changed
    assert (report.rejected, [e.line for e in report.errors]) == (True, [7])
    assert _state() == before == ([("old@known.com", "Engineer")], 0, 1)
    assert list(ImportRun.objects.values_list("status", flat=True)) == ["undone"]
    assert not ImportUndo.objects.exists()


@pytest.mark.django_db
def test_a_good_file_keeps_every_chunk_and_no_undo_records(known):
    report = do_import(kind="contacts", stream=io.BytesIO(GOOD), filename="c.csv")
    assert (report.rejected, report.created, report.updated) == (False, 4, 1)
    assert Contact.objects.get(email="old@known.com").title == "CEO"
    assert (Contact.objects.count(), Company.objects.count()) == (5, 2)
    assert list(ImportRun.objects.values_list("status", flat=True)) == ["done"]
    assert not ImportUndo.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_another_writer_writes_between_chunks(known):
    # given another writer that, between two chunks, locks and changes the contact the first chunk updated
    outcomes = []

    def other_writer():
        try:
            with transaction.atomic():
                row = Contact.objects.select_for_update(nowait=True).get(pk=known.pk)
                row.phone = "+1 555 0100"
                row.save(update_fields=["phone"])
            outcomes.append("written")
        except Exception as exc:  # the failure is the finding
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    def after_chunk(line):
        if line == 3:
            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join()

    # when an all-or-nothing import runs
    report = do_import(kind="contacts", stream=io.BytesIO(GOOD), filename="c.csv", progress=after_chunk)
    # then the other writer was not kept out, and both writes stand
    assert outcomes == ["written"]
    assert report.created == 4
    assert Contact.objects.filter(email="old@known.com").values_list("title", "phone").get() == ("CEO", "+1 555 0100")


class Killed(BaseException):
    """Stands for kill -9: no Python code of the import runs after it (`except Exception` does not catch it)."""


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.django_db
def test_an_import_whose_process_died_is_undone_by_the_next_import(known):
    def die_after_second_chunk(line):
        if line == 5:
            raise Killed

    with pytest.raises(Killed):
        do_import(kind="contacts", stream=io.BytesIO(LATE_ERROR), filename="c.csv", progress=die_after_second_chunk)
    # the half import is there, its run still "running" for a process that is gone
    assert Contact.objects.count() == 4
    ImportRun.objects.update(pid=_dead_pid())
    # when the next import starts, the dead run is undone first
    report = do_import(kind="contacts", stream=io.BytesIO(b"email\nnext@example.com\n"), filename="n.csv")
    assert report.created == 1
    assert sorted(Contact.objects.values_list("email", "title")) == [
        ("next@example.com", ""), ("old@known.com", "Engineer"),
    ]
    assert Company.objects.count() == 0
    assert sorted(ImportRun.objects.values_list("status", flat=True)) == ["done", "undone"]


@pytest.mark.django_db
def test_a_running_import_of_a_live_process_is_left_alone(known):
    run = ImportRun.objects.create(kind="contacts", host=HOST,
                                   pid=subprocess.Popen(["sleep", "30"]).pid, started_at=known.created_at,
                                   heartbeat_at=known.created_at)
    try:
        assert recover_interrupted_imports() == []
        assert ImportRun.objects.get(pk=run.pk).status == "running"
    finally:
        subprocess.run(["kill", str(run.pid)], check=False)


@pytest.mark.django_db
def test_companies_deals_and_touchpoints_are_undone_too(users, pipeline):
    from plumbline.crm.actions import do_create_company, do_create_deal
    from plumbline.crm.models import Deal, DealTransition
    from plumbline.marketing.models import Touchpoint

    # given a contact without a company, an existing company and an existing deal
    loose = do_create_contact(email="kim@linked.com")
    do_create_company(name="Acme", domain="acme.com", industry="Retail")
    deal = do_create_deal(name="Pilot", amount="100.00")
    files = {
        "companies": b"name,domain,industry\nAcme,acme.com,Software\nLinked,linked.com,\nThird,third.com,\nBad,not a domain,\n",
        "deals": b"name,amount\nPilot,900\nNew one,5\nNew two,6\nLost,-1\n",
        "touchpoints": (b"contact_email,kind,channel,occurred_at\n"
                        b"kim@linked.com,page_view,seo,2026-03-01T10:00:00Z\n"
                        b"kim@linked.com,page_view,seo,2026-03-02T10:00:00Z\n"
                        b"kim@linked.com,page_view,seo,2026-03-03T10:00:00Z\n"
                        b"nobody@linked.com,page_view,seo,2026-03-04T10:00:00Z\n"),
    }
    for kind, data in files.items():
        # when each file fails on its last line, after two committed chunks
        report = do_import(kind=kind, stream=io.BytesIO(data), filename="x.csv")
        assert (report.rejected, [e.line for e in report.errors]) == (True, [5]), kind
    # then nothing of them is left: no new company, the industry and the contact's company as they were, the deal's
    # amount as it was, no new deal or transition, no touchpoint
    assert list(Company.objects.values_list("name", "industry")) == [("Acme", "Retail")]
    assert Contact.objects.get(pk=loose.pk).company_id is None
    assert list(Deal.objects.values_list("name", "amount")) == [("Pilot", deal.amount)]
    assert DealTransition.objects.count() == 1
    assert Touchpoint.objects.count() == 0
    assert set(ImportRun.objects.values_list("status", flat=True)) == {"undone"}


@pytest.mark.django_db
def test_undo_gives_back_the_company_and_owner_an_import_changed(users):
    from plumbline.crm.actions import do_create_company

    first = do_create_company(name="A", domain="a.com")
    do_create_company(name="B", domain="b.com")
    contact = do_create_contact(email="x@a.com", owner=users["rep1"])
    data = b"email,company_domain,owner\nx@a.com,b.com,rep2\ny@c.com,,\nz@c.com,,\nbad,,\n"
    assert do_import(kind="contacts", stream=io.BytesIO(data), filename="x.csv").rejected
    contact.refresh_from_db()
    assert (contact.company_id, contact.owner_id) == (first.pk, users["rep1"].pk)
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_a_run_silent_for_fifteen_minutes_counts_as_gone_even_with_a_live_pid(known):
    import datetime as dt

    from plumbline.interop.undo import STALE_AFTER

    old = known.created_at - STALE_AFTER - dt.timedelta(seconds=1)
    run = ImportRun.objects.create(kind="contacts", host="elsewhere", pid=1, started_at=old, heartbeat_at=old)
    assert recover_interrupted_imports() == [run.pk]
    assert ImportRun.objects.get(pk=run.pk).status == "undone"
