"""/tasks: to-dos (activities of kind task) by due date; complete and reschedule them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Literal

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Schema

from plumbline.core.api_helpers import AwareInstant, IdParam, In, Limit, QueryText, can_view, get_or_404
from plumbline.core.pagination import DEFAULT_LIMIT, InvalidQuery
from plumbline.crm.actions import do_complete_task
from plumbline.crm.actions.activities import do_reschedule_task
from plumbline.crm.models import Activity

router = Router(tags=["tasks"])



class TaskOut(Schema):
    id: int
    subject: str
    body: str
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    owner_id: int | None
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class RescheduleIn(In):
    due_at: AwareInstant


def _encode(task: Activity) -> str:
    due = task.due_at.isoformat() if task.due_at else None
    return base64.urlsafe_b64encode(json.dumps({"due": due, "id": task.pk}).encode()).decode().rstrip("=")


def _after(qs: QuerySet[Activity], cursor: str) -> QuerySet[Activity]:
    """Tasks after the cursor's in (due date, undated last, id) order."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        due = dt.datetime.fromisoformat(data["due"]) if data["due"] is not None else None
        pk = int(data["id"])
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        raise InvalidQuery("The cursor is not valid; start again without one.", field="cursor",
                           code="invalid_cursor") from None
    if not 0 < pk < 2**63 or (due is not None and due.tzinfo is None):
        raise InvalidQuery("The cursor is not valid; start again without one.", field="cursor", code="invalid_cursor")
    if due is None:
        return qs.filter(due_at__isnull=True, pk__gt=pk)
    return qs.filter(Q(due_at__gt=due) | Q(due_at=due, pk__gt=pk) | Q(due_at__isnull=True))


@router.get("/tasks", response=TaskPage, summary="List tasks, soonest due first")
def list_tasks(
    request: HttpRequest,
    owner: IdParam | None = None,
    status: Literal["open", "done", "all"] = "open",
    due_before: AwareInstant | None = None,
    due_after: AwareInstant | None = None,
    contact: IdParam | None = None,
    company: IdParam | None = None,
    deal: IdParam | None = None,
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """Your open tasks by default (`owner` for someone else's, `status` for done ones), ordered by due date,
    undated last. Overdue ones: `due_before=<now>`."""
    can_view(request, "activity")
    qs = Activity.objects.filter(kind=Activity.Kind.TASK, owner_id=owner or request.user.pk)
    if status != "all":
        qs = qs.filter(completed_at__isnull=status == "open")
    for name, value in (("due_at__lt", due_before), ("due_at__gte", due_after), ("contact_id", contact),
                        ("company_id", company), ("deal_id", deal)):
        if value is not None:
            qs = qs.filter(**{name: value})
    if cursor:
        qs = _after(qs, cursor)
    rows = list(qs.order_by(F("due_at").asc(nulls_last=True), "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": _encode(rows[-1]) if more else None}


def _task(task_id: int) -> Activity:
    return get_or_404(Activity.objects.filter(kind=Activity.Kind.TASK), task_id, "task")


@router.post("/tasks/{task_id}/complete", response=TaskOut, summary="Mark a task done")
def complete_task(request: HttpRequest, task_id: IdParam) -> Activity:
    return do_complete_task(by=request.user, activity=_task(task_id))


@router.post("/tasks/{task_id}/reschedule", response=TaskOut, summary="Move an open task's due date")
def reschedule_task(request: HttpRequest, task_id: IdParam, payload: RescheduleIn) -> Activity:
    return do_reschedule_task(by=request.user, activity=_task(task_id), due_at=payload.due_at)
