"""Handoff writes: route an MQL, run the SLA clock, accept or reject with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.accounts.actions import do_notify
from plumbline.accounts.models import Team, User
from plumbline.core.errors import Conflict, DomainError, PermissionDenied
from plumbline.crm.actions import do_change_lifecycle, do_update_contact
from plumbline.crm.models import Activity, Contact
from plumbline.definitions.queries import current_version, parsed
from plumbline.events.actions import emit
from plumbline.handoff.bulk import record_waiting
from plumbline.handoff.business_hours import add_business_hours
from plumbline.handoff.models import Assignment
from plumbline.handoff.queries import can_decide
from plumbline.handoff.routing import choose_rep
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.actions import do_reset_engagement, do_score_contact

FIRST_TOUCH_KINDS = ("call", "email", "meeting")


def _lead_source(contact: Contact, before: dt.datetime) -> tuple[Any, str, str]:
    """The campaign, channel and source of the last campaign touchpoint before the handoff."""
    before_handoff = Touchpoint.objects.filter(contact=contact, occurred_at__lte=before).order_by("-occurred_at", "-id")
    tp = before_handoff.filter(campaign__isnull=False).first() or before_handoff.first()
    if tp is None:
        return None, "", contact.source
    return tp.campaign, tp.channel, tp.source or contact.source


def _managers_of(rep: User) -> list[User]:
    managers = [t.manager for t in Team.objects.filter(members=rep).select_related("manager") if t.manager]
    if not managers:
        managers = list(User.objects.filter(role="sales_manager", is_active=True))
    return [m for m in managers if m.pk != rep.pk]


@transaction.atomic
def do_route_lead(
    *, contact: Contact, now: dt.datetime | None = None, exclude: set[int] = frozenset(), by: Any = None
) -> Assignment | None:
    """Assign an MQL to a rep, start the SLA clock, make the rep its owner and tell them."""
    now = now or timezone.now()
    if Assignment.objects.filter(contact=contact, status=Assignment.Status.OPEN).exists():
        raise Conflict("This lead is already waiting for a rep.", field="contact")
    version = current_version()
    sla = parsed(version).sla
    choice = choose_rep(Contact.objects.select_related("company__owner").get(pk=contact.pk), exclude=exclude)
    if choice is None:
        record_waiting(contact_id=contact.pk, now=now)
        for manager in User.objects.filter(role="sales_manager", is_active=True):
            do_notify(user=manager, kind="unrouted", message=f"No rep is available for {contact}.",
                      url=f"/contacts/{contact.pk}/")
        return None
    campaign, channel, source = _lead_source(contact, now)
    assignment = Assignment.objects.create(
        contact=contact, rep=choice.rep, method=choice.method, reason=choice.reason[:300],
        definition_version=version.number, assigned_at=now,
        sla_due_at=add_business_hours(now, sla.first_touch_hours, sla),
        escalate_at=add_business_hours(now, sla.escalate_after_hours, sla),
        campaign=campaign, channel=channel, source=source[:100],
    )
    if contact.owner_id != choice.rep.pk:
        do_update_contact(contact=contact, changes={"owner": choice.rep})
    do_notify(user=choice.rep, kind="assigned", email=True, url=f"/contacts/{contact.pk}/",
              message=f"New lead for you: {contact} ({choice.reason}). First touch due "
                      f"{assignment.sla_due_at:%Y-%m-%d %H:%M} UTC.")
    emit(kind="lead.assigned", subject=("contact", contact.pk), actor=by, occurred_at=now, payload=_lead(assignment))
    return assignment


def _lead(a: Assignment, **more: Any) -> dict[str, Any]:
    """What a lead event says: the assignment, the rep, how it was chosen (ids and codes, no personal data)."""
    return {"assignment_id": a.pk, "rep_id": a.rep_id, "method": a.method, "definition_version": a.definition_version,
            **more}


@transaction.atomic(savepoint=False)  # as do_score_contact: the worker's batch gives each contact a savepoint
def do_score_and_route(*, contact: Contact, now: dt.datetime | None = None, reason: str = "event") -> Assignment | None:
    """Rescore a contact; when that makes it an MQL, route it."""
    outcome = do_score_contact(contact=contact, now=now, reason=reason)
    if outcome.mql is None:
        return None
    return do_route_lead(contact=contact, now=now)


def _first_touch(assignment: Assignment) -> dt.datetime | None:
    return (
        Activity.objects.filter(
            contact_id=assignment.contact_id, owner_id=assignment.rep_id, kind__in=FIRST_TOUCH_KINDS,
            occurred_at__gte=assignment.assigned_at,
        )
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


@transaction.atomic
def do_check_sla(*, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    """Advance one assignment's SLA clock: stop it at the rep's first touch, or breach, escalate, reassign."""
    now = now or timezone.now()
    # no_key: the contact and rep rows are locked too (joined), yet foreign-key checks of concurrent inserts pass
    a = Assignment.objects.select_for_update(no_key=True).select_related("contact", "rep").get(pk=assignment.pk)
    if a.first_touch_at is not None or a.status not in (Assignment.Status.OPEN, Assignment.Status.ACCEPTED):
        return a
    breached = False
    touched = _first_touch(a)
    if touched is not None:
        a.first_touch_at = touched
        a.save(update_fields=["first_touch_at"])
        return a
    if now >= a.sla_due_at and a.breached_at is None:
        a.breached_at = a.sla_due_at
        a.save(update_fields=["breached_at"])
        breached = True
        do_notify(user=a.rep, kind="sla_breached", email=True, url=f"/contacts/{a.contact_id}/",
                  message=f"SLA breached: {a.contact} has had no first touch from you.")
        for manager in _managers_of(a.rep):
            do_notify(user=manager, kind="sla_breached", email=True, url=f"/contacts/{a.contact_id}/",
                      message=f"SLA breached: {a.rep.display_name} has not touched {a.contact} "
                              f"(due {a.sla_due_at:%Y-%m-%d %H:%M} UTC).")
    if now >= a.escalate_at and a.escalated_at is None and a.status == Assignment.Status.OPEN:
        a.escalated_at = now
        a.save(update_fields=["escalated_at"])
        if parsed(current_version()).sla.reassign_on_breach:
            a.status = Assignment.Status.REASSIGNED
            a.decided_at = now
            a.save(update_fields=["status", "decided_at"])
            do_route_lead(contact=a.contact, now=now, exclude={a.rep_id})
    if breached:
        emit(kind="lead.sla_breached", subject=("contact", a.contact_id), occurred_at=a.breached_at,
             payload=_lead(a, due_at=a.sla_due_at.isoformat()))
    return a


def do_check_all_slas(*, now: dt.datetime | None = None) -> int:
    """Advance every running clock; returns how many assignments were checked."""
    now = now or timezone.now()
    ids = list(
        Assignment.objects.filter(first_touch_at=None, status__in=["open", "accepted"]).values_list("pk", flat=True)
    )
    for pk in ids:
        do_check_sla(assignment=Assignment(pk=pk), now=now)
    return len(ids)


def _decide(assignment: Assignment, by: Any) -> Assignment:
    a = Assignment.objects.select_for_update(of=("self",)).select_related("contact", "rep__team").get(pk=assignment.pk)
    if not can_decide(by, a):
        raise PermissionDenied("Only the assigned rep, their manager or an admin can accept or reject this lead.")
    if a.status != Assignment.Status.OPEN:
        raise Conflict(f"This lead was already {a.get_status_display().lower()}.", field="status")
    return a


@transaction.atomic
def do_accept_lead(*, by: User, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    """The rep takes the lead: MQL -> SAL."""
    now = now or timezone.now()
    a = _decide(assignment, by)
    a.status, a.decided_at, a.decided_by = Assignment.Status.ACCEPTED, now, by
    a.save(update_fields=["status", "decided_at", "decided_by"])
    if a.contact.lifecycle_stage == "mql":
        do_change_lifecycle(by=by, contact=a.contact, to_stage="sal", reason=f"Accepted by {by.display_name}",
                            source="handoff", definition_version=a.definition_version, occurred_at=now)
    emit(kind="lead.accepted", subject=("contact", a.contact_id), actor=by, occurred_at=now, payload=_lead(a))
    return a


@transaction.atomic
def do_reject_lead(
    *, by: User, assignment: Assignment, reason: str, note: str = "", now: dt.datetime | None = None
) -> Assignment:
    """The rep turns the lead down with a reason: back to nurture, engagement reset per the recycle rule."""
    now = now or timezone.now()
    a = _decide(assignment, by)
    plumb = parsed(current_version())
    labels = {r.code: r.label for r in plumb.reject_reasons}
    if reason not in labels:
        raise DomainError(f"Choose a reject reason: {', '.join(labels)}.", field="reason", code="invalid")
    note = (note or "").strip()
    if len(note) > 1000:
        raise DomainError("The note is longer than 1000 characters.", field="note", code="max_length")
    a.status, a.decided_at, a.decided_by = Assignment.Status.REJECTED, now, by
    a.reject_reason, a.note = reason, note
    a.save(update_fields=["status", "decided_at", "decided_by", "reject_reason", "note"])
    why = f"Rejected by {by.display_name}: {labels[reason]}" + (f" ({note})" if note else "")
    if a.contact.lifecycle_stage != "lead":
        do_change_lifecycle(by=by, contact=a.contact, to_stage="lead", reason=why[:500], source="handoff",
                            definition_version=a.definition_version, occurred_at=now)
    do_reset_engagement(contact=a.contact, mode=plumb.recycle.engagement_reset, now=now)
    for member in User.objects.filter(role="marketing", is_active=True):
        do_notify(user=member, kind="lead_rejected", url=f"/contacts/{a.contact_id}/",
                  message=f"{why} — {a.contact}" + (f", campaign {a.campaign.name}" if a.campaign_id else ""))
    emit(kind="lead.rejected", subject=("contact", a.contact_id), actor=by, occurred_at=now,
         payload=_lead(a, reason=reason))
    return a


@transaction.atomic
def do_reroute_open_leads(*, rep: User, now: dt.datetime | None = None) -> int:
    """Hand every lead still waiting for `rep` (deactivated, say) to another rep through routing, as a breached
    SLA does. Returns how many found a new rep; for the others `do_route_lead` tells the managers."""
    now = now or timezone.now()
    waiting = list(
        Assignment.objects.select_for_update().select_related("contact")
        .filter(rep=rep, status=Assignment.Status.OPEN).order_by("assigned_at", "pk")
    )
    rerouted = 0
    for a in waiting:
        a.status, a.decided_at = Assignment.Status.REASSIGNED, now
        a.save(update_fields=["status", "decided_at"])
        if do_route_lead(contact=a.contact, now=now, exclude={rep.pk}) is not None:
            rerouted += 1
    return rerouted


def erase_contact_notes(contact_ids: list[int]) -> None:
    """Erasure (crm.hooks.register_eraser): the notes reps wrote on these contacts' assignments go; the
    assignments, their times and outcomes stay for the SLA and lead-quality reports."""
    Assignment.objects.filter(contact_id__in=contact_ids).update(note="")
