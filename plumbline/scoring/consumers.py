"""Scoring reads the change feed: scores follow what contacts do and what changes about them.

- `scoring.rescore`: touchpoints, activities, fit-relevant field changes and merges rescore the contacts they
  touch, and promote those the MQL rule now holds for (`lead.mql_reached`: handoff routes them).
- `scoring.republish`: a published plumb line rescores every contact, set-based, in the `rescore_all` task.
"""

from __future__ import annotations

from collections.abc import Iterable

from plumbline.crm.models import Contact
from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent
from plumbline.scoring.rescore import rescore_contacts
from plumbline.scoring.tasks import rescore_all

# What the fit rules read (plumbline.scoring.engine.Profile): a change to another field rescores nothing. A
# company's domain links contacts to it, which changes their fit too.
CONTACT_FIT_FIELDS = frozenset({"email", "title", "source", "company", "custom"})
COMPANY_FIT_FIELDS = frozenset({"domain", "industry", "employee_count", "annual_revenue", "country", "custom"})

REASONS = {
    "touchpoint.recorded": "event", "touchpoint.corrected": "event", "touchpoint.deleted": "event",
    "activity.logged": "activity", "activity.updated": "activity", "activity.deleted": "activity",
    "contact.created": "created", "contact.updated": "field change", "company.created": "field change",
    "company.updated": "field change", "contact.merged": "merge", "contact.unmerged": "merge",
}

def touched_contacts(events: Iterable[FeedEvent]) -> dict[int, str]:
    """The contacts these events rescore, each with the reason of the last event that touched it."""
    touched: dict[int, str] = {}
    companies: dict[int, str] = {}
    for e in events:
        reason = REASONS[e.kind]
        p = e.payload
        if e.kind.startswith(("touchpoint.", "activity.")):
            ids = [p.get("contact_id"), p.get("contact_before")]
        elif e.kind == "contact.updated":
            ids = [e.subject_id] if CONTACT_FIT_FIELDS.intersection(p.get("fields", ())) else []
        elif e.kind in ("contact.created", "contact.merged"):
            ids = [e.subject_id]
        elif e.kind == "contact.unmerged":
            ids = [e.subject_id, p.get("restored_id")]
        else:  # company.created / company.updated
            if p.get("linked_contacts") or COMPANY_FIT_FIELDS.intersection(p.get("fields", ())):
                companies[e.subject_id] = reason
            ids = []
        touched.update((pk, reason) for pk in ids if pk is not None)
    if companies:
        for pk, company_id in Contact.objects.filter(company_id__in=companies).values_list("pk", "company_id"):
            touched.setdefault(pk, companies[company_id])
    return touched


@consumer("scoring.rescore", kinds=set(REASONS), label="Rescoring", atomic=False)
def rescore(events: list[FeedEvent]) -> None:
    """Rescore the contacts a batch of events touched, each once however many events it had.

    Not atomic: a batch of 500 events may touch 500 contacts, and one transaction over all of them would hold
    SQLite's write lock for seconds. It commits every RESCORE_BATCH contacts instead, and is idempotent: a
    rescore computes the score from the contact's rows as they are now (a second one stores the same score and
    no history row), and promotion to MQL happens only from an eligible stage, in the transaction that writes
    the score and its `lead.mql_reached` event. A batch interrupted by a crash runs again whole: the contacts
    done before the crash are rescored again to the same values, the others for the first time."""
    touched = touched_contacts(events)
    if touched:
        rescore_contacts(sorted(touched), reasons=touched)


@consumer("scoring.republish", kinds={"definitions.published"}, label="Rescoring after a publish")
def republish(events: list[FeedEvent]) -> None:
    """Queue the set-based rescore of every contact (`rescore_all`), once per batch however many versions were
    published in it. Atomic: the task row commits with the cursor's advance, so a publish queues it once."""
    rescore_all.enqueue()
