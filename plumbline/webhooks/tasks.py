"""Background webhook work: `send_delivery` (one attempt of one delivery, safe to run twice) lives beside the
sending code it wraps (sending.py), which queues it; it is named here as every app's tasks are."""

from __future__ import annotations

from plumbline.webhooks.sending import send_delivery

__all__ = ["send_delivery"]
