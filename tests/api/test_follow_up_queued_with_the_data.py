"""Follow-up work is queued in the transaction that writes the data: a request never commits rows and then
fails (500) because queueing their follow-up failed after the commit, and no committed row lacks its task."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_contact
from plumbline.marketing.models import Touchpoint

BATCH = {"items": [{"contact_email": "ada@example.com", "kind": "page_view", "channel": "seo"}]}


def _post_batch(token: str):
    client = Client(raise_request_exception=False)
    return client.post("/api/v1/touchpoints/batch", data=json.dumps(BATCH), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_rescore_cannot_be_queued_writes_nothing(tokens, monkeypatch):
    # given a contact, and a task queue that fails (the database refuses the task row)
    do_create_contact(email="ada@example.com", first_name="Ada")

    def refuse(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
    # when marketing records a batch (a real commit: this test runs outside a test transaction)
    response = _post_batch(tokens["marketing"])
    # then the request fails and nothing of it was committed, rather than committed rows and a 500
    assert response.status_code == 500
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_batch_has_its_rescore_queued(tokens):
    # given a contact
    contact = do_create_contact(email="ada@example.com", first_name="Ada")
    DBTaskResult.objects.all().delete()
    # when marketing records a batch
    response = _post_batch(tokens["marketing"])
    # then the touchpoint and the rescore of its contact were committed together
    assert response.status_code == 201
    assert Touchpoint.objects.count() == 1
    queued = DBTaskResult.objects.exclude(task_path="plumbline.events.tasks.pump").get()
    assert queued.task_path == "plumbline.handoff.tasks.process_contacts"
    assert queued.args_kwargs["args"] == [[contact.pk], "event"]
