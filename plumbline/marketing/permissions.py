"""Who may do what with campaigns and touchpoints (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(
    Resource("campaign", marketing="all", sales="read", sales_manager="read", viewer="read"),
    Resource("touchpoint", marketing="all", sales="read", sales_manager="read", viewer="read"),
)
