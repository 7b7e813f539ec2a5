"""Who may do what with forms, landing pages, guided flows and their submissions (levels: core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(
    Resource("form", marketing="all", sales="read", sales_manager="read", viewer="read"),
    Resource("submission", marketing="all", sales="read", sales_manager="read", viewer="read"),
)
