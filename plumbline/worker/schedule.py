"""Nightly work the apps hand to `plumbline scheduler`: each registers a function that queues its task, from
its AppConfig.ready() (analytics: the scan for duplicate contacts), so the scheduler imports none of them."""

from __future__ import annotations

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
