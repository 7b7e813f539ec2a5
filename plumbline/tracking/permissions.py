"""Who may manage tracked sites and read their hits (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(
    Resource("site", marketing="all", sales="read", sales_manager="read", viewer="read"),
)
