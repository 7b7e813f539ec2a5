"""Background webhook work; every task is safe to run twice. `send_delivery` (one attempt of one delivery) lives
beside the sending code it wraps (sending.py)."""

from __future__ import annotations

from django_tasks import task

from plumbline.webhooks.sending import send_delivery, send_due

__all__ = ["send_delivery", "send_due_deliveries"]


@task()
def send_due_deliveries() -> int:
    """Sweep: attempt every delivery that is due, e.g. after the task queue was cleared by hand."""
    return send_due()
