"""Who may do what with the playbook (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(
    Resource("framework", marketing="read", sales="read", sales_manager="all", viewer="read"),
    Resource("objection", marketing="own", sales="own", sales_manager="all", viewer="read"),
    Resource("messaging", marketing="all", sales="read", sales_manager="all", viewer="read", noun="messaging items"),
)
