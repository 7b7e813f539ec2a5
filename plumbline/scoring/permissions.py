"""Who may do what with the predictive model (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

# "add" trains a new version, "change" activates an older one. A model has no owner, so "own" (marketing) may
# train but not activate.
register(Resource("model", marketing="own", sales="read", sales_manager="read", viewer="read", noun="predictive models"))
