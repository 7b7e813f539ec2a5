"""API for the signed-in user."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    email: str
    role: str
    team: str | None


@router.get("/me", response=MeOut, summary="The user this token belongs to")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        id=user.pk, username=user.username, email=user.email, role=user.role,
        team=user.team.name if user.team_id else None,
    )
