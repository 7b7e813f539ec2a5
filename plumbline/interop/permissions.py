"""Who may import (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(Resource("import", marketing="all", sales="none", sales_manager="all", viewer="none"))
