"""kill -9 of a sending worker, for real: a child process sends a webhook and is SIGKILLed by the receiver while it
waits for the answer; the delivery is left claimed, and once the claim lapses the next sender posts it again with the
same webhook-id (at least once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.webhooks.conftest import ROOT, database_url

CHILD = r"""
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
import django
django.setup()
from django.utils import timezone
from plumbline.webhooks.actions import do_create_subscription, do_send_test
from plumbline.webhooks.models import Delivery
from plumbline.webhooks.sending import CLAIM_LEASE, send_due

if sys.argv[1] == "send":
    subscription = do_create_subscription(by=None, url=sys.argv[2], events=["*"])
    do_send_test(by=None, subscription=subscription)
    send_due()
    print("not killed")
else:
    print(json.dumps({"sent": send_due(now=timezone.now() + CLAIM_LEASE),
                      "deliveries": list(Delivery.objects.values_list("status", "attempts", "message_id"))}))
"""


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_request_leaves_the_message_to_be_sent_again(tmp_path, receiver):
    url = database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    # given a sender that the receiver kills (SIGKILL) as soon as its request arrives, before answering
    child = subprocess.Popen([sys.executable, "-c", CHILD, "send", receiver.url], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    receiver.on_request = lambda: os.kill(child.pid, signal.SIGKILL)
    out, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err
    assert len(receiver.received) == 1
    # when the next sender runs after the claim has lapsed
    receiver.on_request = None
    resumed = subprocess.run([sys.executable, "-c", CHILD, "resume"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    state = json.loads(resumed.stdout.strip().splitlines()[-1])
    # then the message went out again, with the same webhook-id, and is delivered on its second attempt
    first, second = receiver.received
    (status, attempts, message_id), = state["deliveries"]
    assert (state["sent"], status, attempts) == (1, "delivered", 2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message_id
    assert first.body == second.body
