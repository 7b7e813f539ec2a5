"""Base models shared by every app; no domain logic lives here."""

from __future__ import annotations

from django.db import models


class TimeStamped(models.Model):
    """Adds created/updated timestamps; `updated_at` drives the API's `updated_since` filter."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
