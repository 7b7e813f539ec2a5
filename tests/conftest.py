"""Fixtures shared by every test: one user per role and a default pipeline, built through the real actions."""

from __future__ import annotations

import pytest

from plumbline.accounts.actions import do_create_api_token, do_create_user
from plumbline.accounts.models import Team, User
from plumbline.crm.actions import do_create_pipeline
from plumbline.crm.models import Pipeline

ROLE_USERS = {
    "admin": "admin",
    "marketing": "marketing",
    "rep1": "sales",
    "rep2": "sales",
    "manager": "sales_manager",
    "viewer": "viewer",
}
PASSWORD = "correct-horse-battery"


@pytest.fixture
def users(db) -> dict[str, User]:
    sales = Team.objects.create(name="Sales", kind=Team.Kind.SALES)
    marketing = Team.objects.create(name="Marketing", kind=Team.Kind.MARKETING)
    made = {}
    for username, role in ROLE_USERS.items():
        team = marketing if role == "marketing" else sales if role in ("sales", "sales_manager") else None
        made[username] = do_create_user(
            username=username, password=PASSWORD, role=role, email=f"{username}@plumbline.test", team=team,
            first_name=username.capitalize(), is_superuser=False,
        )
    sales.manager = made["manager"]
    sales.save(update_fields=["manager"])
    return made


@pytest.fixture
def tokens(users) -> dict[str, str]:
    return {name: do_create_api_token(user=user)[1] for name, user in users.items()}


@pytest.fixture
def pipeline(db) -> Pipeline:
    return do_create_pipeline(
        name="New business",
        stages=[
            {"name": "Discovery", "probability": 10},
            {"name": "Demo", "probability": 30},
            {"name": "Proposal", "probability": 60},
            {"name": "Negotiation", "probability": 80},
            {"name": "Won", "probability": 100, "kind": "won"},
            {"name": "Lost", "probability": 0, "kind": "lost"},
        ],
        is_default=True,
    )
