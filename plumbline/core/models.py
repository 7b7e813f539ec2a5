"""Base models shared by every app; no domain logic lives here."""

from __future__ import annotations

from django.db import models


class TimeStamped(models.Model):
    """Adds created/updated timestamps; `updated_at` drives the API's `updated_since` filter."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` for one POST, kept 24 hours: the request's fingerprint and, once it
    succeeded, the response that a retry with the same key and body gets again instead of a second write.
    While `status` is None the request is in flight (or died; such a row is taken over after a while)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
