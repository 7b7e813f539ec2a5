"""MQLs waiting for a rep. Every MQL is either in a rep's queue (an open assignment) or waiting here, and the
dashboard says why (nobody in the office, every seller at capacity); the scheduler routes the waiting ones,
oldest first, as reps free capacity by accepting or rejecting leads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from plumbline.crm.models import Contact, LifecycleStage
from plumbline.handoff.bulk import route_mqls
from plumbline.handoff.models import Assignment, WaitingLead
from plumbline.handoff.routing import available


def waiting_mqls() -> QuerySet[Contact]:
    """MQLs with no rep deciding on them, the longest-waiting first."""
    in_queue = Assignment.objects.filter(contact=OuterRef("pk"), status=Assignment.Status.OPEN)
    return (
        Contact.objects.filter(lifecycle_stage=LifecycleStage.MQL)
        .exclude(Exists(in_queue))
        .order_by("lifecycle_changed_at", "pk")
    )


NOT_ROUTED = "not_routed"
WAIT_REASONS = {**dict(WaitingLead.Reason.choices), NOT_ROUTED: "Not routed yet"}


def waiting_leads() -> QuerySet[Contact]:
    """`waiting_mqls` with why each waits (`wait_reason`, a WAIT_REASONS code) and since when (`waiting_since`),
    from the last routing attempt since it became an MQL; `not_routed` when none was made yet."""
    recorded = WaitingLead.objects.filter(contact=OuterRef("pk")).filter(
        since__gte=F("contact__lifecycle_changed_at"))
    return waiting_mqls().select_related("company").annotate(
        recorded_reason=Subquery(recorded.values("reason")[:1]),
        waiting_since=Subquery(recorded.values("since")[:1]),
    )


def wait_reason(contact: Contact) -> str:
    """The WAIT_REASONS code of a contact read through `waiting_leads`."""
    return getattr(contact, "recorded_reason", None) or NOT_ROUTED


def waiting_by_reason() -> dict[str, int]:
    """How many MQLs wait, by reason (every reason of WAIT_REASONS, zero included), in WAIT_REASONS order."""
    counts = dict(waiting_leads().order_by().values_list("recorded_reason").annotate(n=Count("pk")))
    out = {code: counts.get(code, 0) for code in WAIT_REASONS if code != NOT_ROUTED}
    out[NOT_ROUTED] = counts.get(None, 0)
    return out


@dataclass(frozen=True)
class Backlog:
    mqls: int
    in_queues: int
    waiting: int
    sellers: int  # active, in-office sellers
    open_leads: int  # in their queues
    free_slots: int  # open leads they can still take

    @property
    def reason(self) -> str:
        if not self.waiting:
            return ""
        if not self.sellers:
            return "no seller is active and in the office"
        if not self.free_slots:
            return f"every seller is at capacity ({self.sellers} sellers, {self.open_leads:,} leads in their queues)"
        return "they are routed within minutes, oldest first, as capacity allows"


def backlog() -> Backlog:
    sellers = available(include_full=True)
    mqls = Contact.objects.filter(lifecycle_stage=LifecycleStage.MQL).count()
    waiting = waiting_mqls().count()
    return Backlog(
        mqls=mqls, in_queues=mqls - waiting, waiting=waiting, sellers=len(sellers),
        open_leads=sum(u.open_leads for u in sellers),
        free_slots=sum(max(u.capacity - u.open_leads, 0) for u in sellers),
    )


def do_route_waiting(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Route waiting MQLs, oldest first, while some seller has capacity; returns how many were routed.
    Stops before asking when nobody can take one, so managers are not told "no rep" once per waiting lead; the
    leads still left waiting keep their recorded reason, brought up to date."""
    if not available():
        return 0
    ids = list(waiting_mqls().values_list("pk", flat=True)[:limit])
    return len(route_mqls(contact_ids=ids, now=now or timezone.now()).routed)
