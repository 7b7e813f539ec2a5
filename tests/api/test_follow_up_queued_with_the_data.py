"""Follow-up work is written in the transaction that writes the data (its events, and the task that runs the
feed): a request never commits rows and then fails (500) because queueing their follow-up failed after the
commit, and no committed row lacks its follow-up."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_contact
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.models import ContactScore

BATCH = {"items": [{"contact_email": "ada@example.com", "kind": "page_view", "channel": "seo"}]}


def _post_batch(token: str):
    client = Client(raise_request_exception=False)
    return client.post("/api/v1/touchpoints/batch", data=json.dumps(BATCH), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_rescore_cannot_be_queued_writes_nothing(tokens, monkeypatch):
    # given a contact, and a task queue that fails (the database refuses the task row)
    do_create_contact(email="ada@example.com", first_name="Ada")
    DBTaskResult.objects.all().delete()  # no pump waiting: the batch must queue one

    def refuse(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
    # when marketing records a batch (a real commit: this test runs outside a test transaction)
    response = _post_batch(tokens["marketing"])
    # then the request fails and nothing of it was committed, rather than committed rows and a 500
    assert response.status_code == 500
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_batch_has_its_rescore_written_with_it(tokens):
    # given a contact
    contact = do_create_contact(email="ada@example.com", first_name="Ada")
    drain()
    DBTaskResult.objects.all().delete()
    # when marketing records a batch
    response = _post_batch(tokens["marketing"])
    # then the touchpoint, its event and the feed's pump were committed together
    assert response.status_code == 201
    (tp,) = Touchpoint.objects.all()
    event = Event.objects.get(kind="touchpoint.recorded")
    assert (event.subject_id, event.payload["contact_id"]) == (tp.pk, contact.pk)
    assert DBTaskResult.objects.get().task_path == "plumbline.events.tasks.pump"
    # and the pump rescores the contact
    drain()
    assert ContactScore.objects.get(contact=contact).engagement_score > 0
