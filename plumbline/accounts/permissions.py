"""Who may manage users (the levels: plumbline/core/permissions.py): admins only."""

from plumbline.core.permissions import Resource, register

register(Resource("user", marketing="none", sales="none", sales_manager="none", viewer="none"))
