"""Users, teams, roles and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales rep"
    SALES_MANAGER = "sales_manager", "Sales manager"
    VIEWER = "viewer", "Viewer"


class Team(models.Model):
    """A group of users: the marketing team, a sales team. Sales teams have a manager for escalations."""

    class Kind(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    manager = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. `role` decides permissions; `team`, availability and capacity feed routing."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    is_out_of_office = models.BooleanField(default=False)
    capacity = models.PositiveIntegerField(default=50, help_text="Most open leads this rep takes at once.")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for /api/v1. Only a SHA-256 hash is stored; the token is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"


class Notification(models.Model):
    """A message for one user, shown in the app and (for some kinds) sent by email."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
