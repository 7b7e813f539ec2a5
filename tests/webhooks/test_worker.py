"""Webhooks through real processes: the worker carries a change from the feed to a signed POST at a receiver, and a
worker killed in the middle of the webhooks consumer's batch loses no delivery and doubles none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.processes import Processes, wait_for
from tests.webhooks.conftest import ROOT, database_url

WORKER = ("worker", "--lease", "3", "--heartbeat", "0.5", "--interval", "0.1", "--no-startup-delay", "--no-reload")


def test_the_worker_sends_a_recorded_touchpoint_to_the_receiver(processes: Processes, receiver, tmp_path: Path):
    # given a subscription to touchpoint.recorded at a receiver on 127.0.0.1, allowed by WEBHOOK_ALLOWED_HOSTS
    processes.env["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    secret = processes.python(
        "from plumbline.webhooks.actions import do_create_subscription; "
        f"print(do_create_subscription(by=None, url={receiver.url!r}, events=['touchpoint.recorded']).secret)")
    # when a touchpoint is recorded and a worker runs
    touchpoint_id = int(processes.python(
        "from plumbline.crm.actions import do_create_contact; "
        "from plumbline.marketing.actions import do_record_touchpoint; "
        "c = do_create_contact(email='jane@acme.com'); "
        "print(do_record_touchpoint(contact_id=c.pk, kind='page_view', channel='seo').pk)"))
    processes.start(*WORKER, log=tmp_path / "worker.log")
    # then the receiver gets it, signed with the subscription's secret
    wait_for(lambda: receiver.received, "the webhook to arrive")
    (got,) = receiver.received
    body = Webhook(secret).verify(got.body, got.headers)
    assert (body["type"], body["data"]["subject_id"]) == ("touchpoint.recorded", touchpoint_id)
    wait_for(lambda: processes.query("SELECT status FROM webhooks_delivery") == [("delivered",)],
             "the delivery to be recorded as delivered")


CHILD = r"""
import json, os, signal, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
import django
django.setup()
from django.db import transaction
from plumbline.events.actions import emit
from plumbline.events.models import ConsumerCursor
from plumbline.events.runner import drain
from plumbline.webhooks import actions
from plumbline.webhooks.models import Delivery

if sys.argv[1] == "die":
    actions.do_create_subscription(by=None, url="https://hooks.example.com/in", events=["*"])
    with transaction.atomic():
        for subject_id in (1, 2, 3):
            emit(kind="contact.created", subject=("contact", subject_id))
    def die(ids, at=None):  # the deliveries are written, their transaction not committed
        os.kill(os.getpid(), signal.SIGKILL)
    actions.queue_send = die
    drain()
else:
    ConsumerCursor.objects.filter(name="webhooks").update(lease_until=None)  # the killed worker's lease lapsed
    drain()
    from django_tasks_db.models import DBTaskResult
    print(json.dumps({
        "deliveries": sorted(Delivery.objects.values_list("event_id", flat=True)),
        "tasks": DBTaskResult.objects.filter(task_path="plumbline.webhooks.sending.send_delivery").count(),
    }))
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_consumers_batch_loses_and_doubles_no_delivery(tmp_path):
    url = database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    # given three events, and a worker killed while the webhooks consumer's batch is uncommitted
    killed = subprocess.run([sys.executable, "-c", CHILD, "die"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # when the next worker runs the feed
    resumed = subprocess.run([sys.executable, "-c", CHILD, "resume"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    # then each event has exactly one delivery, each queued for sending once
    state = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert len(state["deliveries"]) == 3 and len(set(state["deliveries"])) == 3
    assert state["tasks"] == 3
