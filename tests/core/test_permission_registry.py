"""The permission table is filled by the apps: each registers the resources it owns from its permissions.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plumbline.core import permissions
from plumbline.core.permissions import Resource, can, denial, level, register


def _user(role: str) -> SimpleNamespace:
    return SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=False, role=role, pk=1)


def test_every_app_registers_its_resources_at_startup():
    # Given the apps as installed (CoreConfig.ready imported each app's permissions module)
    # Then the table holds every resource of the apps, and nothing else
    assert sorted(permissions.resources()) == [
        "activity", "campaign", "company", "consent", "contact", "deal", "definitions", "form", "framework",
        "import", "messaging", "model", "objection", "pipeline", "privacy", "segment", "site", "submission",
        "subscription_type", "touchpoint", "user", "webhook",
    ]


def test_a_resource_registered_twice_with_other_levels_is_refused():
    # Given the contact resource as crm registered it
    # When another module registers a contact resource with other levels
    with pytest.raises(ValueError, match="'contact' is registered twice"):
        register(Resource("contact", marketing="read", sales="read", sales_manager="read", viewer="read"))

    # Then the levels crm registered still hold
    assert level(_user("sales"), "contact") == "own"


def test_the_same_registration_again_changes_nothing():
    # When crm's contact resource is registered again, as it was
    register(Resource("contact", marketing="all", sales="own", sales_manager="all", viewer="read"))

    # Then nothing changed
    assert [level(_user(r), "contact") for r in ("admin", "marketing", "sales", "sales_manager", "viewer")] == [
        "all", "all", "own", "all", "read"]


def test_an_unregistered_resource_is_closed_to_every_role_but_a_superuser():
    # Given a resource no app registered
    superuser = SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=True, role="viewer", pk=1)

    # Then no role may see it, admins included; a superuser may
    assert [can(_user(r), "view", "no_such_thing") for r in permissions.ROLES] == [False] * 5
    assert can(superuser, "change", "no_such_thing") is True


def test_a_denial_names_the_noun_the_app_registered():
    # Given a sales rep, who owns the companies they create
    # Then the 403 page's message uses crm's noun for the resource, and names the roles that may act on any
    assert denial(_user("sales"), "change", "company") == (
        "You may edit only the companies you own; the Admin, Marketing and Sales manager roles may edit any.")
    assert denial(_user("viewer"), "add", "definitions") == (
        "Your role (Viewer) may not create the plumb line's definitions; that needs the Admin role.")
