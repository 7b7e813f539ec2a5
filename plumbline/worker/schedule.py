"""Periodic work the apps hand to `plumbline scheduler`: each registers a function that queues its task, from
its AppConfig.ready() (analytics: the nightly scan for duplicate contacts; segments: the hourly re-evaluation of
segments with time windows), so the scheduler imports none of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

_nightly: dict[str, Callable[[], Any]] = {}


def register_nightly(name: str, queue: Callable[[], Any]) -> None:
    """`queue()` queues the work (it must not do it: the scheduler only queues); `name` says what it queued."""
    _nightly[name] = queue


def queue_nightly() -> list[str]:
    """Queue every registered nightly task; the names of those queued, in the order they registered."""
    for queue in _nightly.values():
        queue()
    return list(_nightly)


_periodic: dict[str, tuple[dt.timedelta, Callable[[], Any]]] = {}
_last_queued: dict[str, dt.datetime] = {}


def register_periodic(name: str, queue: Callable[[], Any], *, every: dt.timedelta) -> None:
    """`queue()` queues work due every `every` (the first time at the scheduler's first tick)."""
    _periodic[name] = (every, queue)


def queue_periodic(now: dt.datetime) -> list[str]:
    """Queue the periodic tasks that are due at `now`; the names of those queued."""
    queued = []
    for name, (every, queue) in _periodic.items():
        last = _last_queued.get(name)
        if last is None or now - last >= every:
            queue()
            _last_queued[name] = now
            queued.append(name)
    return queued
