"""The event kinds a subscription may pick, with the labels the pages show.

One place until `plumbline.events` has a catalogue of its own; `ALL` ("*") means every kind, present and future."""

from __future__ import annotations

ALL = "*"
TEST_KIND = "webhook.test"

KINDS: dict[str, str] = {
    "contact.created": "Contact created",
    "contact.updated": "Contact updated",
    "contact.merged": "Contacts merged",
    "contact.unmerged": "Contact merge undone",
    "contact.erased": "Contact erased",
    "lifecycle.changed": "Lifecycle stage changed",
    "touchpoint.recorded": "Touchpoint recorded",
    "touchpoint.corrected": "Touchpoint corrected",
    "touchpoint.deleted": "Touchpoint deleted",
    "activity.logged": "Activity logged",
    "score.changed": "Score changed",
    "mql.reached": "Marketing-qualified lead reached",
    "lead.assigned": "Lead assigned to a rep",
    "lead.accepted": "Lead accepted by sales",
    "lead.rejected": "Lead rejected by sales",
    "sla.breached": "Follow-up SLA breached",
    "deal.created": "Deal created",
    "deal.moved": "Deal moved to another stage",
    "deal.won": "Deal won",
    "deal.lost": "Deal lost",
}

SUBJECT_TYPES: dict[str, str] = {
    "contact": "Contact", "company": "Company", "deal": "Deal", "touchpoint": "Touchpoint",
    "activity": "Activity", "assignment": "Lead assignment",
}


def kind_choices() -> list[tuple[str, str]]:
    return list(KINDS.items())


def label(kind: str) -> str:
    if kind == ALL:
        return "All events"
    if kind == TEST_KIND:
        return "Test message"
    return KINDS.get(kind, kind)
