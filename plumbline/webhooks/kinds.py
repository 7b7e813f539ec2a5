"""The event kinds a subscription may pick: the feed's catalogue (`plumbline.events.kinds`), plus "*" for every kind
(present and future) and the kind of a test message."""

from __future__ import annotations

from plumbline.events import kinds as feed

ALL = "*"
TEST_KIND = "webhook.test"
KINDS = feed.KINDS

# The subject types a filter may name, with labels (the subjects events are about).
SUBJECT_TYPES: dict[str, str] = {
    "contact": "Contact", "company": "Company", "deal": "Deal", "touchpoint": "Touchpoint",
    "activity": "Activity", "assignment": "Lead assignment", "definitions": "Plumb line", "user": "User",
    "import": "Import",
}


def kind_choices() -> list[tuple[str, str]]:
    return feed.choices()


def label(kind: str) -> str:
    if kind == ALL:
        return "All events"
    if kind == TEST_KIND:
        return "Test message"
    return feed.label(kind)
