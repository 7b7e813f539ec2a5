"""Kill -9 a worker in the middle of a feed batch, start another: every event is applied exactly once in effect.

The first worker is told (PLUMBLINE_TEST_KILL_AFTER_RESCORES, a test-only switch in plumbline.scoring.rescore) to
SIGKILL itself once it has committed the rescores of 20 contacts: the scoring consumer is then mid-batch, 20 of
its 50 contacts promoted to MQL and the other 30 not yet scored, its cursor not moved, its lease left behind. The
second worker takes the consumer over when that lease lapses and runs the batch again."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.processes import DEADLINE, Processes, wait_for

WORKER = ("worker", "--lease", "3", "--heartbeat", "0.5", "--interval", "0.1", "--no-startup-delay", "--no-reload")
CONTACTS = 50
KILL_AFTER = 20

SETUP = f"""
from django.utils import timezone
from plumbline.accounts.actions import do_create_user
from plumbline.accounts.models import Team
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.definitions.queries import current_version
from plumbline.marketing.actions import do_record_touchpoints

current_version()
team = Team.objects.create(name="Sales", kind="sales")
for n in (1, 2):
    do_create_user(username=f"rep{{n}}", password=None, role="sales", email=f"rep{{n}}@plumbline.test", team=team)
do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
ids = [do_create_contact(email=f"c{{n}}@acme.com", title="CTO", lifecycle_stage="lead", source="webinar").pk
       for n in range({CONTACTS})]
now = timezone.now().isoformat()
do_record_touchpoints(items=[{{"contact_id": pk, "kind": kind, "channel": "webinar", "occurred_at": now}}
                             for pk in ids for kind in ("webinar_attended", "demo_request")])
print(len(ids))
"""


def count(processes: Processes, sql: str, *params: object) -> int:
    return processes.query(sql, *params)[0][0]


def test_a_worker_killed_mid_batch_loses_no_score_and_routes_no_lead_twice(processes: Processes, tmp_path: Path):
    # Given 50 leads whose touchpoints (written with their events) make each an MQL, and two reps to route to
    assert processes.python(SETUP) == str(CONTACTS)
    assert count(processes, "SELECT COUNT(*) FROM events_event WHERE kind = %s", "touchpoint.recorded") == 100

    # When a worker starts the feed and is killed (-9) after committing the rescores of 20 of the 50 contacts
    short_lease = {**processes.env, "EVENTS_LEASE_SECONDS": "3"}
    dying = Processes({**short_lease, "PLUMBLINE_TEST_KILL_AFTER_RESCORES": str(KILL_AFTER)}, processes.sqlite_path)
    first = dying.start(*WORKER, log=tmp_path / "worker1.log")
    assert first.wait(timeout=DEADLINE) == -signal.SIGKILL
    assert count(processes, "SELECT COUNT(*) FROM scoring_contactscore") == KILL_AFTER
    assert count(processes, "SELECT COUNT(*) FROM crm_contact WHERE lifecycle_stage = %s", "mql") == KILL_AFTER
    assert count(processes, "SELECT position FROM events_consumercursor WHERE name = %s", "scoring.rescore") == 0

    # and another worker starts
    second = Processes(short_lease, processes.sqlite_path)
    second.start(*WORKER, log=tmp_path / "worker2.log")
    try:
        def caught_up() -> bool:
            head = count(processes, "SELECT MAX(id) FROM events_event")
            behind = count(processes, "SELECT COUNT(*) FROM events_consumercursor WHERE position < %s", head)
            return behind == 0 and count(processes, "SELECT COUNT(*) FROM handoff_assignment") >= CONTACTS

        wait_for(caught_up, "the second worker to catch the feed up")
    finally:
        second.stop_all()

    # Then every contact was scored and promoted exactly once, and every MQL routed once with one notification
    assert count(processes, "SELECT COUNT(*) FROM scoring_contactscore WHERE engagement_score > 0") == CONTACTS
    assert count(processes, "SELECT COUNT(*) FROM crm_lifecycletransition WHERE to_stage = %s", "mql") == CONTACTS
    assert count(processes, "SELECT COUNT(*) FROM events_event WHERE kind = %s", "lead.mql_reached") == CONTACTS
    assert count(processes, "SELECT COUNT(*) FROM handoff_assignment") == CONTACTS
    assert count(processes, "SELECT COUNT(DISTINCT contact_id) FROM handoff_assignment") == CONTACTS
    assert count(processes, "SELECT COUNT(*) FROM accounts_notification WHERE kind = %s", "assigned") == CONTACTS
    assert count(processes, "SELECT COUNT(*) FROM events_event WHERE kind = %s", "lead.assigned") == CONTACTS
    # and every consumer's cursor is at the head of the feed
    head = count(processes, "SELECT MAX(id) FROM events_event")
    positions = processes.query("SELECT name, position FROM events_consumercursor ORDER BY name")
    assert {name for name, _ in positions} >= {"scoring.rescore", "handoff.route"}
    assert all(position == head for _, position in positions)
