"""Consumers of the change feed, registered by name by the apps that own them (from their AppConfig.ready()).

The events app knows nothing of scoring, handoff or webhooks: they register here, and the runner calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plumbline.events.kinds import KINDS

if TYPE_CHECKING:
    from plumbline.events.runner import FeedEvent

Handler = Callable[[list["FeedEvent"]], None]


@dataclass(frozen=True)
class Consumer:
    """A named reader of the feed. `kinds` None reads every kind. `atomic` runs the handler and the cursor's
    advance in one transaction (exactly once in effect for what the handler writes to the database); otherwise
    the handler commits in its own short transactions and must be idempotent (its batch runs again after a
    crash). `batch_size` events at most per call."""

    name: str
    handle: Handler
    kinds: frozenset[str] | None
    label: str
    atomic: bool = True
    batch_size: int = 500


_consumers: dict[str, Consumer] = {}


def consumer(
    name: str, *, kinds: Collection[str] | None, label: str, atomic: bool = True, batch_size: int = 500,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the consumer `name` of the given kinds."""
    unknown = sorted(set(kinds or ()) - set(KINDS))
    if unknown:
        raise ValueError(f"Consumer {name} asks for unknown event kinds: {', '.join(unknown)}")

    def register(handle: Handler) -> Handler:
        existing = _consumers.get(name)
        if existing is not None and existing.handle is not handle:
            raise ValueError(f"Two consumers are named {name}")
        _consumers[name] = Consumer(
            name=name, handle=handle, kinds=frozenset(kinds) if kinds is not None else None, label=label,
            atomic=atomic, batch_size=batch_size,
        )
        return handle

    return register


def consumers() -> list[Consumer]:
    return sorted(_consumers.values(), key=lambda c: c.name)


def get(name: str) -> Consumer | None:
    return _consumers.get(name)


def unregister(name: str) -> None:
    """For tests that register a consumer of their own."""
    _consumers.pop(name, None)
