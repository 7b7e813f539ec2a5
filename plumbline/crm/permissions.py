"""Who may do what with the CRM's records (the levels: plumbline/core/permissions.py)."""

from plumbline.core.permissions import Resource, register

register(
    Resource("company", marketing="all", sales="own", sales_manager="all", viewer="read", noun="companies"),
    Resource("contact", marketing="all", sales="own", sales_manager="all", viewer="read"),
    Resource("deal", marketing="read", sales="own", sales_manager="all", viewer="read"),
    Resource("pipeline", marketing="read", sales="read", sales_manager="all", viewer="read"),
    Resource("activity", marketing="own", sales="own", sales_manager="all", viewer="read", noun="activities"),
    # Privacy rights (erasing a contact, exporting everything held about one): admins only.
    Resource("privacy", marketing="none", sales="none", sales_manager="none", viewer="none",
             noun="privacy requests"),
)
