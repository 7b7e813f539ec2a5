"""Who may record consent and define subscription types (the levels: plumbline/core/permissions.py). Recording
a contact's consent is a change to the contact, so it follows the contact's levels."""

from plumbline.core.permissions import Resource, register

register(
    Resource("consent", marketing="all", sales="all", sales_manager="all", viewer="read", noun="consent"),
    Resource("subscription_type", marketing="all", sales="read", sales_manager="read", viewer="read",
             noun="subscription types"),
)
