"""Background scoring: queued on commit after touchpoints arrive; safe to run twice."""

from __future__ import annotations

from django_tasks import task

from plumbline.scoring.actions import score_many


@task()
def rescore_contacts(contact_ids: list[int], reason: str = "event") -> int:
    return score_many(contact_ids, reason=reason)
