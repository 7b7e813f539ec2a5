"""Rescoring named contacts in short transactions: what the feed's consumer and the bulk promotion run."""

from __future__ import annotations

import logging
import os
import signal

from django.db import transaction

from plumbline.crm.models import Contact
from plumbline.definitions.queries import current_version
from plumbline.scoring.actions import do_score_contact

logger = logging.getLogger(__name__)

RESCORE_BATCH = 20  # contacts per transaction: a few hundred milliseconds of SQLite's write lock at most

# Test-only fault injection for the kill -9 test (tests/events/test_crash.py): the process kills itself once it
# has committed this many contacts' rescores. Unset (0) everywhere else.
CRASH_AFTER = int(os.environ.get("PLUMBLINE_TEST_KILL_AFTER_RESCORES", "0") or 0)
_committed = 0


def rescore_contacts(contact_ids: list[int], *, reasons: dict[int, str] | None = None, reason: str = "event") -> int:
    """Rescore contacts RESCORE_BATCH at a time, each batch its own short transaction: one commit per batch rather
    than per contact. Each contact runs in its own savepoint, so one that fails is rolled back alone and the
    others are kept; then this raises naming the contacts that failed (the feed retries the batch)."""
    global _committed
    current_version()  # make sure version 1 exists before concurrent scorers read it
    done, failed = 0, []
    ids = sorted(contact_ids)
    for start in range(0, len(ids), RESCORE_BATCH):
        chunk = ids[start : start + RESCORE_BATCH]
        with transaction.atomic():
            for contact in Contact.objects.filter(pk__in=chunk).order_by("pk"):
                try:
                    with transaction.atomic():  # a savepoint inside the batch
                        do_score_contact(contact=contact, reason=(reasons or {}).get(contact.pk, reason))
                except Exception:
                    logger.exception("rescoring contact %s failed", contact.pk)  # the id only: no PII in logs
                    failed.append(contact.pk)
                else:
                    done += 1
        _committed += len(chunk)
        if CRASH_AFTER and _committed >= CRASH_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)
    if failed:
        raise RuntimeError(f"Rescoring failed for contacts {failed}; the other {done} were rescored.")
    return done
