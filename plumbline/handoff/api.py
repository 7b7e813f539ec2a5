"""/handoff: the rep queue, accept and reject, SLA status, the lead-quality report."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from plumbline.core.api_helpers import IdParam, In, Instant, Limit, QueryText, can_view, get_or_404, text
from plumbline.core.errors import Conflict
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.core.permissions import require
from plumbline.crm.models import Contact
from plumbline.handoff.actions import do_accept_lead, do_reject_lead, do_route_lead
from plumbline.handoff.backlog import WAIT_REASONS, wait_reason, waiting_by_reason, waiting_leads
from plumbline.handoff.models import Assignment
from plumbline.handoff.queries import GROUPINGS, lead_quality, queue, sla_status

router = Router(tags=["handoff"])


class AssignmentOut(Schema):
    id: int
    contact_id: int
    contact_email: str
    rep: str
    method: str
    reason: str
    definition_version: int
    assigned_at: dt.datetime
    sla_due_at: dt.datetime
    sla_state: str
    sla_seconds_left: float
    first_touch_at: dt.datetime | None
    breached_at: dt.datetime | None
    status: str
    reject_reason: str
    note: str
    campaign: str | None


class RejectIn(In):
    reason: text(40)
    note: text(1000) = ""


class QualityRow(Schema):
    group: str
    mqls: int
    accepted: int
    rejected: int
    waiting: int
    rejected_by_reason: dict[str, int]
    sql: int
    won: int
    acceptance_rate: float | None = Field(description="accepted / (accepted + rejected); null while none is decided")


class WaitingOut(Schema):
    contact_id: int
    contact_email: str
    contact_name: str
    company: str | None
    mql_at: dt.datetime | None = Field(description="When the contact became an MQL")
    reason: str = Field(description="capacity | no_territory | no_seller | not_routed")
    reason_label: str
    waiting_since: dt.datetime | None = Field(description="The first routing attempt that found nobody for it")


class WaitingPage(Schema):
    items: list[WaitingOut]
    next_cursor: str | None
    by_reason: dict[str, int] = Field(description="Every waiting MQL counted by reason")


def _out(a: Assignment) -> dict[str, Any]:
    sla = sla_status(a)
    return {
        "id": a.pk, "contact_id": a.contact_id, "contact_email": a.contact.email, "rep": a.rep.username,
        "method": a.method, "reason": a.reason, "definition_version": a.definition_version,
        "assigned_at": a.assigned_at, "sla_due_at": a.sla_due_at, "sla_state": sla.state,
        "sla_seconds_left": sla.seconds_left, "first_touch_at": a.first_touch_at, "breached_at": a.breached_at,
        "status": a.status, "reject_reason": a.reject_reason, "note": a.note,
        "campaign": a.campaign.name if a.campaign_id else None,
    }


def _assignments():
    return Assignment.objects.select_related("contact", "rep", "campaign")


@router.get("/handoff/queue", response=list[AssignmentOut], summary="Leads waiting for a rep's decision")
def get_queue(request: HttpRequest, mine: bool = True) -> list[dict[str, Any]]:
    can_view(request, "contact")
    rep = request.user if mine or request.user.role == "sales" else None
    return [_out(a) for a in queue(rep)[:500]]


@router.get("/handoff/waiting", response=WaitingPage, summary="MQLs no rep could take yet, and why")
def get_waiting(
    request: HttpRequest, cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    can_view(request, "contact")
    items, next_cursor = paginate(waiting_leads(), sort="id", allowed=("id",), cursor=cursor, limit=limit)
    return {
        "items": [{
            "contact_id": c.pk, "contact_email": c.email, "contact_name": str(c),
            "company": c.company.name if c.company_id else None, "mql_at": c.lifecycle_changed_at,
            "reason": wait_reason(c), "reason_label": WAIT_REASONS[wait_reason(c)], "waiting_since": c.waiting_since,
        } for c in items],
        "next_cursor": next_cursor,
        "by_reason": waiting_by_reason(),
    }


@router.get("/handoff/assignments/{assignment_id}", response=AssignmentOut)
def get_assignment(request: HttpRequest, assignment_id: IdParam) -> dict[str, Any]:
    can_view(request, "contact")
    return _out(get_or_404(_assignments(), assignment_id, "assignment"))


@router.get("/contacts/{contact_id}/assignments", response=list[AssignmentOut], summary="Handoff history")
def contact_assignments(request: HttpRequest, contact_id: IdParam) -> list[dict[str, Any]]:
    can_view(request, "contact")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")  # 404, not an empty list, for no contact
    return [_out(a) for a in _assignments().filter(contact=contact)]


@router.post("/contacts/{contact_id}/route", response={201: AssignmentOut}, summary="Route a lead to a rep now")
@idempotent
def route(request: HttpRequest, contact_id: IdParam) -> Any:
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    require(request.user, "change", "contact", contact)
    assignment = do_route_lead(contact=contact, by=request.user)
    if assignment is None:
        raise Conflict("No active, in-office rep has capacity for this lead.", field="contact")
    return Status(201, _out(_assignments().get(pk=assignment.pk)))


@router.post("/handoff/assignments/{assignment_id}/accept", response=AssignmentOut)
def accept(request: HttpRequest, assignment_id: IdParam) -> dict[str, Any]:
    a = get_or_404(_assignments(), assignment_id, "assignment")
    do_accept_lead(by=request.user, assignment=a)
    return _out(_assignments().get(pk=a.pk))


@router.post("/handoff/assignments/{assignment_id}/reject", response=AssignmentOut)
def reject(request: HttpRequest, assignment_id: IdParam, payload: RejectIn) -> dict[str, Any]:
    a = get_or_404(_assignments(), assignment_id, "assignment")
    do_reject_lead(by=request.user, assignment=a, reason=payload.reason, note=payload.note)
    return _out(_assignments().get(pk=a.pk))


@router.get("/reports/lead-quality", response=list[QualityRow], summary="MQLs, accepted, rejected by reason, SQL, won")
def report_lead_quality(
    request: HttpRequest, group_by: Literal[tuple(GROUPINGS)] = "campaign",  # type: ignore[valid-type]
    since: Instant | None = None, until: Instant | None = None,
) -> list[dict[str, Any]]:
    can_view(request, "contact")
    return lead_quality(group_by=group_by, since=since, until=until)
