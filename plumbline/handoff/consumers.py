"""Handoff reads the change feed: new MQLs are routed, a deactivated rep's open leads go to others, and a sales
touch stops the SLA clock of the lead it touches.

Both consumers are atomic: what a batch writes (assignments, notifications, the queued emails, the events they
write) commits with the cursor's advance, so a worker killed mid-batch leaves none of it and the next one runs the
batch again: exactly once in effect. Each is idempotent besides, so a replay by an operator changes nothing: a
lead already routed, or already reported to the managers as unroutable, is not routed again."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from plumbline.accounts.models import Notification, User
from plumbline.crm.models import Contact, LifecycleStage
from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent
from plumbline.handoff.actions import FIRST_TOUCH_KINDS, do_check_sla, do_reroute_open_leads, do_route_lead
from plumbline.handoff.models import Assignment


@consumer("handoff.route", kinds={"lead.mql_reached", "user.deactivated"}, label="Routing new MQLs",
          batch_size=100)
def route(events: list[FeedEvent]) -> None:
    """In feed order: route each new MQL that is still an MQL and was not handled since it became one, and
    reroute the open leads of a deactivated rep. When routing finds nobody for a lead, the managers are told (by
    `do_route_lead`) once, and the batch's later new MQLs wait in the backlog (handoff.backlog), which the
    scheduler routes as reps free capacity: no "no rep" message per lead."""
    nobody = False
    for event in events:
        if event.kind == "user.deactivated":
            do_reroute_open_leads(rep=User(pk=event.subject_id), now=event.occurred_at)
        elif not nobody:
            contact = _still_waiting(event)
            nobody = contact is not None and do_route_lead(contact=contact) is None


def _still_waiting(event: FeedEvent) -> Contact | None:
    """The event's contact when it is an MQL that nothing has handled since it reached MQL: no assignment since
    (open, or decided already), no managers told that no rep could take it."""
    handled = Assignment.objects.filter(contact=OuterRef("pk")).filter(
        Q(status=Assignment.Status.OPEN) | Q(assigned_at__gte=event.occurred_at))
    contact = (
        Contact.objects.filter(pk=event.subject_id, lifecycle_stage=LifecycleStage.MQL).exclude(Exists(handled)).first()
    )
    if contact is None:
        return None
    told = Notification.objects.filter(kind="unrouted", url=_url(contact.pk), created_at__gte=event.recorded_at)
    return None if told.exists() else contact


def _url(contact_id: int) -> str:
    return f"/contacts/{contact_id}/"


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

