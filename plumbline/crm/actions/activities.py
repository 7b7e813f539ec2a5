"""Activity writes: notes, calls, meetings, emails and tasks on the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError
from plumbline.core.permissions import check, check_owner
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.models import Activity
from plumbline.events.actions import emit

ACTIVITY_FIELDS = (
    "kind", "subject", "body", "contact", "company", "deal", "owner", "occurred_at", "outcome",
    "duration_minutes", "due_at", "completed_at",
)


def _check_shape(activity: Activity) -> None:
    if not (activity.contact_id or activity.company_id or activity.deal_id):
        raise DomainError("An activity belongs to a contact, a company or a deal.", field="contact", code="required")
    if activity.outcome and activity.kind != Activity.Kind.CALL:
        raise DomainError("Only calls have an outcome.", field="outcome")
    if activity.due_at and activity.kind != Activity.Kind.TASK:
        raise DomainError("Only tasks have a due date.", field="due_at")
    if activity.contact_id and not activity.company_id and activity.contact.company_id:
        activity.company_id = activity.contact.company_id


@transaction.atomic
def do_log_activity(*, by: Any = None, kind: str, **fields: Any) -> Activity:
    check(by, "add", "activity")
    if fields.get("owner") is None:
        fields["owner"] = by
    check_owner(by, "activity", fields["owner"])
    fields["occurred_at"] = fields.get("occurred_at") or timezone.now()
    activity = Activity()
    apply_changes(activity, {"kind": kind, **fields}, ACTIVITY_FIELDS)
    full_clean(activity)
    _check_shape(activity)
    activity.save()
    # Sales touches count toward engagement (scoring) and may stop an SLA clock (handoff): both read the feed.
    emit(kind="activity.logged", subject=activity, actor=by, occurred_at=activity.occurred_at,
         payload=_payload(activity))
    return activity


def _payload(activity: Activity, **more: Any) -> dict[str, Any]:
    return {"kind": activity.kind, "contact_id": activity.contact_id, "company_id": activity.company_id,
            "deal_id": activity.deal_id, "owner_id": activity.owner_id, **more}


@transaction.atomic
def do_update_activity(*, by: Any = None, activity: Activity, changes: dict[str, Any]) -> Activity:
    check(by, "change", "activity", activity)
    contact_before = activity.contact_id
    if "owner" in changes:
        check_owner(by, "activity", changes["owner"], current=activity.owner_id)
    changed = apply_changes(activity, changes, ACTIVITY_FIELDS)
    if changed:
        full_clean(activity)
        _check_shape(activity)
        activity.save()
        # Activities count toward engagement: a corrected one rescores its contact (both, when it moved).
        emit(kind="activity.updated", subject=activity, actor=by,
             payload=_payload(activity, fields=sorted(changed), contact_before=contact_before))
    return activity


@transaction.atomic
def do_complete_task(*, by: Any = None, activity: Activity) -> Activity:
    check(by, "change", "activity", activity)
    if activity.kind != Activity.Kind.TASK:
        raise DomainError("Only tasks can be completed.", field="kind")
    if activity.completed_at is None:
        activity.completed_at = timezone.now()
        activity.save(update_fields=["completed_at", "updated_at"])
    return activity


@transaction.atomic
def do_reschedule_task(*, by: Any = None, activity: Activity, due_at: dt.datetime) -> Activity:
    """Move an open task's due time. Only the due time changes, so nothing is rescored."""
    check(by, "change", "activity", activity)
    if activity.kind != Activity.Kind.TASK:
        raise DomainError("Only tasks have a due date.", field="kind")
    if activity.completed_at is not None:
        raise Conflict("This task is done; there is nothing to reschedule.", field="due_at")
    if not isinstance(due_at, dt.datetime) or timezone.is_naive(due_at):
        raise DomainError("Give the new due date with a time and time zone.", field="due_at")
    activity.due_at = due_at
    activity.save(update_fields=["due_at", "updated_at"])
    return activity


@transaction.atomic
def do_delete_activity(*, by: Any = None, activity: Activity) -> None:
    check(by, "delete", "activity", activity)
    pk, payload = activity.pk, _payload(activity)
    activity.delete()
    emit(kind="activity.deleted", subject=("activity", pk), actor=by, payload=payload)
