"""The consent ledger's subscription types, as the form builder and the consent checkboxes see them."""

from __future__ import annotations

from plumbline.consent.queries import subscription_types


def subscription_choices() -> list[tuple[str, str]]:
    """(code, label) of every subscription type the admins defined."""
    return [(t.code, t.label) for t in subscription_types()]


def subscription_codes() -> set[str]:
    return {t.code for t in subscription_types()}
