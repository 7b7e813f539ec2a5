"""Marketing reads the change feed: a merge moves touchpoints between contacts, so their first touches are
recomputed (crm sits below marketing and does not know first touches exist)."""

from __future__ import annotations

from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent
from plumbline.marketing import first_touch


@consumer("marketing.first_touch", kinds={"contact.merged", "contact.unmerged"}, label="First touches after merges")
def merged(events: list[FeedEvent]) -> None:
    """Recompute the first touch of the contacts a merge (or its undoing) moved touchpoints between. Atomic and
    idempotent: `refresh` recomputes from the touchpoints as they are, whatever it computed before."""
    ids = {e.subject_id for e in events}
    ids.update(e.payload["restored_id"] for e in events if e.kind == "contact.unmerged")
    first_touch.refresh(ids)
