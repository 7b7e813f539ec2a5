"""The webhooks consumer of the change feed: each event becomes one delivery per matching active subscription.

Atomic: the deliveries (and the tasks that send them) commit with the cursor's advance, so a worker killed mid-batch
leaves neither and the batch runs again; a replayed event adds nothing (one delivery per event and subscription)."""

from __future__ import annotations

from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent
from plumbline.webhooks.actions import do_record_deliveries


@consumer("webhooks", kinds=None, label="Outbound webhooks", atomic=True)
def record_deliveries(events: list[FeedEvent]) -> None:
    do_record_deliveries(events=events)
