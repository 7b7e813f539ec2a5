"""Handoff reads the change feed: new MQLs are routed, a deactivated rep's open leads go to others, and a sales
touch stops the SLA clock of the lead it touches.

Both consumers are atomic: what a batch writes (assignments, notifications, the queued emails, the events they
write) commits with the cursor's advance, so a worker killed mid-batch leaves none of it and the next one runs the
batch again: exactly once in effect. Each is idempotent besides, so a replay by an operator changes nothing: a
lead already routed, or already reported to the managers as unroutable, is not routed again."""

from __future__ import annotations

from django.utils import timezone

from plumbline.accounts.models import User
from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent
from plumbline.handoff.actions import FIRST_TOUCH_KINDS, do_check_sla, do_reroute_open_leads
from plumbline.handoff.bulk import route_mqls
from plumbline.handoff.models import Assignment


@consumer("handoff.route", kinds={"lead.mql_reached", "user.deactivated"}, label="Routing new MQLs",
          batch_size=500)
def route(events: list[FeedEvent]) -> None:
    """In feed order: route the batch's new MQLs set-based (`handoff.bulk.route_mqls`: reps, capacity,
    territories and round-robin positions read once per batch, the same choices as `do_route_lead` one after the
    other), and reroute the open leads of a deactivated rep where that event falls. An MQL nobody can take waits
    with its reason (`WaitingLead`); managers get one note per batch with the counts by reason, and the
    scheduler's minute check routes waiting MQLs as reps free capacity. Idempotent: a contact that is no longer an
    MQL, or is in a rep's queue already, is skipped, and a waiting one is counted as newly waiting only once."""
    mqls: list[int] = []
    for event in events:
        if event.kind == "user.deactivated":
            if mqls:
                route_mqls(contact_ids=mqls)
                mqls = []
            do_reroute_open_leads(rep=User(pk=event.subject_id), now=event.occurred_at)
        else:
            mqls.append(event.subject_id)
    if mqls:
        route_mqls(contact_ids=mqls)


@consumer("handoff.first_touch", kinds={"activity.logged"}, label="SLA clocks stopped by a first touch")
def first_touch(events: list[FeedEvent]) -> None:
    """A call, email or meeting with a lead may be the rep's first touch: advance the SLA clocks of the contact's
    leads still waiting for one (`do_check_sla` finds the touch, and does nothing to a clock already stopped)."""
    contact_ids = {e.payload.get("contact_id") for e in events if e.payload.get("kind") in FIRST_TOUCH_KINDS}
    contact_ids.discard(None)
    if not contact_ids:
        return
    now = timezone.now()
    waiting = Assignment.objects.filter(
        contact_id__in=contact_ids, first_touch_at=None, status__in=[Assignment.Status.OPEN, Assignment.Status.ACCEPTED])
    for assignment in waiting.order_by("pk"):
        do_check_sla(assignment=assignment, now=now)

