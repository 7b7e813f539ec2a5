"""Suggested duplicate contacts: storing a scan's pairs, and dismissing a pair that is two people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.core.errors import DomainError
from plumbline.core.permissions import check
from plumbline.crm.models import Contact, DuplicatePair, DuplicateScan

BATCH = 5_000


@transaction.atomic
def do_save_duplicate_scan(
    *, started_at: dt.datetime, contacts: int, candidates: int, threshold: float, model: dict[str, Any],
    pairs: Iterable[tuple[int, int, float, float, list[Any]]],
) -> DuplicateScan:
    """Replace the open pairs with this scan's (left_id, right_id, probability, weight, why) pairs; dismissed
    pairs stay dismissed, and pairs naming a contact deleted since the scan read the contacts are left out."""
    now = timezone.now()
    dismissed = set(DuplicatePair.objects.filter(status=DuplicatePair.Status.DISMISSED).values_list("left_id", "right_id"))
    DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).delete()
    rows = [row for row in ((int(a), int(b), float(p), float(w), why) for a, b, p, w, why in pairs)
            if row[:2] not in dismissed]
    alive = set(Contact.objects.filter(pk__in={pk for row in rows for pk in row[:2]}).values_list("pk", flat=True))
    fresh = [DuplicatePair(left_id=a, right_id=b, probability=p, weight=w, why=why, found_at=now)
             for a, b, p, w, why in rows if a in alive and b in alive and a < b]
    DuplicatePair.objects.bulk_create(fresh, batch_size=BATCH)
    return DuplicateScan.objects.create(
        started_at=started_at, finished_at=now, contacts=contacts, candidates=candidates, found=len(fresh),
        threshold=threshold, model=model)


@transaction.atomic
def do_dismiss_duplicate(*, by: Any = None, pair: DuplicatePair) -> DuplicatePair:
    """Mark a suggested pair as two different people: later scans do not suggest it again."""
    check(by, "change", "contact", pair.left)
    check(by, "change", "contact", pair.right)
    if pair.status == DuplicatePair.Status.DISMISSED:
        raise DomainError("This pair is already marked as two people.", field="pair")
    pair.status, pair.dismissed_by = DuplicatePair.Status.DISMISSED, by
    pair.save(update_fields=["status", "dismissed_by"])
    return pair
