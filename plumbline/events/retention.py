"""The nightly prune of the feed (queued by `plumbline scheduler`): events past EVENTS_RETENTION_DAYS that every
consumer has passed are deleted. A task of its own, not in tasks.py, because it calls the actions that queue the
pump from tasks.py."""

from __future__ import annotations

from django_tasks import task

from plumbline.events.actions import do_prune


@task()
def prune_events() -> int:
    """Safe to run twice: the second run finds nothing left to delete."""
    return do_prune().deleted
