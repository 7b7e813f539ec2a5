"""Every kind of event the feed carries, with the label people read. Kinds are dotted names: `<subject>.<what>`.

`emit` refuses a kind that is not listed here, so a typo fails in the test that writes it, not silently in a
consumer that never hears of it. The marketing apps add their kinds here as they arrive."""

from __future__ import annotations

KINDS: dict[str, str] = {
    # contacts and companies
    "contact.created": "Contact created",
    "contact.updated": "Contact updated",
    "contact.merged": "Contacts merged",
    "contact.unmerged": "Merge undone",
    "contact.erased": "Contact erased",
    "company.created": "Company created",
    "company.updated": "Company updated",
    "lifecycle.changed": "Lifecycle stage changed",
    # what a contact did
    "touchpoint.recorded": "Touchpoint recorded",
    "touchpoint.corrected": "Touchpoint corrected",
    "touchpoint.deleted": "Touchpoint deleted",
    "visitor.identified": "Website visitor identified",
    "activity.logged": "Activity logged",
    "activity.updated": "Activity corrected",
    "activity.deleted": "Activity deleted",
    # scoring and the handoff
    "score.changed": "Score changed",
    "lead.mql_reached": "Became a marketing-qualified lead",
    "lead.assigned": "Lead assigned",
    "lead.accepted": "Lead accepted",
    "lead.rejected": "Lead rejected",
    "lead.sla_breached": "SLA breached",
    # the plumb line and the team
    "definitions.published": "Plumb line published",
    "user.deactivated": "User deactivated",
    # deals
    "deal.created": "Deal created",
    "deal.moved": "Deal moved",
    "deal.won": "Deal won",
    "deal.lost": "Deal lost",
    # consent (plumbline.consent)
    "consent.granted": "Consent granted",
    "consent.withdrawn": "Consent withdrawn",
    "consent.requested": "Consent confirmation requested",
    # forms and guided flows (plumbline.webforms)
    "form.submitted": "Form submitted",
    "flow.completed": "Guided flow completed",
    # segments (plumbline.segments): the subject is the contact, the payload names the segment
    "segment.entered": "Entered a segment",
    "segment.left": "Left a segment",
    # imports
    "import.finished": "Import finished",
    "import.undone": "Import undone",
}


def label(kind: str) -> str:
    return KINDS.get(kind, kind)


def choices() -> list[tuple[str, str]]:
    return sorted(KINDS.items(), key=lambda item: item[0])
