"""API of the change feed, for admins: the events, each consumer's state, replay a consumer, prune old events."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from plumbline.core.api_helpers import MAX_ID, Id, IdParam, In, Limit, QueryText, sort_param, text, whole
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.events import queries
from plumbline.events.actions import MAX_RETENTION_DAYS, do_prune, do_replay
from plumbline.events.kinds import KINDS, label
from plumbline.events.models import Event
from plumbline.events.permissions import require_operator

router = Router(tags=["events"])

KindName = Literal[tuple(sorted(KINDS))]  # type: ignore[valid-type]
ConsumerName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\u0000/]+$")]
EVENT_SORTS = ("id",)


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    actor_id: int | None
    actor: str | None = Field(description="The username of who did it; null for the system, an import or a visitor.")

    @staticmethod
    def resolve_kind_label(obj: Event) -> str:
        return label(obj.kind)

    @staticmethod
    def resolve_actor(obj: Event) -> str | None:
        return obj.actor.get_username() if obj.actor_id and obj.actor else None


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class ConsumerOut(Schema):
    name: str
    label: str
    kinds: list[str] | None = Field(description="The kinds it reads; null for every kind.")
    state: Literal["caught_up", "behind", "failing"]
    state_label: str
    position: int = Field(description="The id of the last event it has finished with.")
    head: int = Field(description="The id of the newest event.")
    lag: int = Field(description=f"Events of its kinds not yet handled (counted up to {queries.LAG_COUNT_CAP:,}).")
    lag_seconds: float = Field(description="How long the oldest of them has waited; 0 when caught up.")
    oldest_pending_at: dt.datetime | None
    processed: int
    failures: int = Field(description="Consecutive failed batches; 0 once a batch succeeds.")
    retry_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None
    last_error_event: int | None
    running_in: str = Field(description="The worker holding it now; empty when none does.")
    caught_up_at: dt.datetime | None


class ReplayIn(In):
    from_event: Id = Field(description="Read again from this event id (inclusive).")


class PruneIn(In):
    days: whole(ge=0, le=MAX_RETENTION_DAYS) | None = Field(  # type: ignore[valid-type]
        None, description="Keep events this many days; default EVENTS_RETENTION_DAYS.")


class PrunedOut(Schema):
    deleted: int
    below: int = Field(description="Every consumer has passed this event id; nothing above it was deleted.")
    retention_days: int


def _consumer_out(status: queries.ConsumerStatus) -> dict[str, Any]:
    return {**{f: getattr(status, f) for f in ConsumerOut.model_fields if hasattr(status, f)},
            "state": status.state_code, "state_label": status.state}


@router.get("/events", response=EventPage, summary="The change feed's events, newest first (admins)")
def list_events(
    request: HttpRequest,
    kind: KindName | None = None,
    subject_type: text(32) | None = None,  # type: ignore[valid-type]
    subject_id: IdParam | None = None,
    after: Annotated[int, Field(ge=0, le=MAX_ID)] | None = None,
    sort: sort_param(EVENT_SORTS) = "-id",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """Filter by `kind`, subject (`subject_type`, `subject_id`) and `after` (events with a larger id). To follow
    the feed, ask with `sort=id&after=<the last id you have>`."""
    require_operator(request.user)
    events = queries.recent_events(kind=kind, subject_type=subject_type, subject_id=subject_id)
    if after is not None:
        events = events.filter(id__gt=after)
    items, next_cursor = paginate(events, sort=sort, allowed=EVENT_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/events/consumers", response=list[ConsumerOut], summary="Each consumer's lag and last error (admins)")
def list_consumers(request: HttpRequest) -> list[dict]:
    require_operator(request.user)
    return [_consumer_out(s) for s in queries.consumer_status()]


def _status_of(name: str) -> dict[str, Any]:
    return _consumer_out(next(s for s in queries.consumer_status() if s.name == name))


NO_SUCH_CONSUMER = {404: {"description": "No consumer has that name",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}


@router.post("/events/consumers/{name}/replay", response=ConsumerOut, openapi_extra={"responses": NO_SUCH_CONSUMER},
             summary="Make a consumer read the feed again from an event (admins)")
def replay_consumer(request: HttpRequest, name: ConsumerName, payload: ReplayIn) -> dict:
    """Sets the consumer's cursor back to just before `from_event`; the worker runs it from there. It creates no
    record a client could get twice (at most the consumer's own cursor, the first time it is read), so it takes no
    Idempotency-Key: asking twice leaves the cursor at the same place."""
    do_replay(name=name, from_event=payload.from_event, by=request.user)
    return _status_of(name)


@router.post("/events/prune", response=PrunedOut, summary="Delete old events every consumer has passed (admins)")
def prune_events(request: HttpRequest, payload: PruneIn) -> dict:
    """Deletes events older than `days` (EVENTS_RETENTION_DAYS by default) with an id every consumer has passed.
    Creates no row, so it takes no Idempotency-Key: asking twice deletes nothing more the second time."""
    pruned = do_prune(retention_days=payload.days, by=request.user)
    return {"deleted": pruned.deleted, "below": pruned.below, "retention_days": pruned.retention_days}
