"""Who may do what with segments (levels: core/permissions.py). Marketing builds them; everyone else reads them
(sales see which segments a contact is in)."""

from plumbline.core.permissions import Resource, register

register(
    Resource("segment", marketing="all", sales="read", sales_manager="read", viewer="read", noun="segments"),
)
