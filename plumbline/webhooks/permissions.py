"""Who may manage outbound webhooks: admins only (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(Resource("webhook", marketing="none", sales="none", sales_manager="none", viewer="none", noun="webhooks"))
