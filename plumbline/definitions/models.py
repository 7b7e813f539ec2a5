"""The shared, versioned plumb line."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DefinitionVersion(models.Model):
    """One immutable version of the plumb line. Editing creates a new version; the highest number is current."""

    number = models.PositiveIntegerField(unique=True)
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, help_text="Why this version was made.")

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"
