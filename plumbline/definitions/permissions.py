"""Who may change the plumb line (the levels: plumbline/core/permissions.py): admins; everyone reads it."""

from plumbline.core.permissions import Resource, register

register(Resource("definitions", marketing="read", sales="read", sales_manager="read", viewer="read",
                  noun="the plumb line's definitions"))
