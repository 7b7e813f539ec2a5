"""API for the signed-in user, their notifications, and (admins) the users of this instance and their tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from plumbline.accounts import queries
from plumbline.accounts.actions import (
    do_create_user,
    do_deactivate_user,
    do_mark_notifications_read,
    do_reactivate_user,
    do_revoke_api_token,
    do_send_password_link,
    do_set_password,
    do_update_user,
)
from plumbline.accounts.models import ApiToken, Notification, Role, Team, User
from plumbline.core.api_helpers import (
    Id,
    IdParam,
    In,
    Limit,
    QueryText,
    api_fields,
    can_view,
    email_text,
    get_or_404,
    ref,
    sort_param,
    text,
    whole,
)
from plumbline.core.pagination import DEFAULT_LIMIT, paginate

router = Router(tags=["accounts"])

RoleName = Literal[tuple(Role.values)]  # type: ignore[valid-type]
Capacity = whole(ge=0, le=10_000)
# Django's validators decide (length, not all digits, not common, not like the username); the schema states the
# first two.
Password = Annotated[text(128), Field(json_schema_extra={"pattern": r"^(?!\d+$)[^\u0000]{8,}$"})]
USER_SORTS = ("username", "date_joined")


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


# --- users (admins) ---------------------------------------------------------------------------------------------

class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: str
    role_label: str
    team_id: int | None
    team: str | None
    is_active: bool
    is_out_of_office: bool
    capacity: int
    last_login: dt.datetime | None
    date_joined: dt.datetime

    @staticmethod
    def resolve_role_label(obj: User) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_team(obj: User) -> str | None:
        return obj.team.name if obj.team_id else None


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None


class UserIn(In):
    username: Annotated[text(150), Field(json_schema_extra={"pattern": r"^[\w.@+-]+$"})]
    email: email_text(254) = ""
    first_name: text(150) = ""
    last_name: text(150) = ""
    role: RoleName
    team_id: Id | None = None
    password: Password | None = Field(None, description="Signs in with this password (validated).")
    invite: bool = Field(False, description="Email a one-time link to set a password (needs `email`).")


class UserPatch(In):
    role: RoleName = None
    team_id: Id | None = None
    email: email_text(254) = None
    first_name: text(150) = None
    last_name: text(150) = None
    is_out_of_office: bool = None
    capacity: Capacity = None
    is_active: bool = Field(None, description="false deactivates (their open leads are rerouted); true reactivates.")
    password: Password = Field(None, description="A new password (validated).")


class PasswordLinkIn(In):
    purpose: Literal["invite", "reset"] = "reset"


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _user(user_id: int) -> User:
    return get_or_404(User.objects.select_related("team"), user_id, "user")


@router.get("/users", response=UserPage, tags=["users"], summary="List users (admins)")
def list_users(
    request: HttpRequest,
    q: QueryText = "",
    role: RoleName | None = None,
    team: IdParam | None = None,
    active: bool | None = None,
    sort: sort_param(USER_SORTS) = "username",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, "user")
    qs = queries.users(q=q.strip(), role=role, team_id=team, active=active)
    items, next_cursor = paginate(qs, sort=sort, allowed=USER_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/users", response={201: UserOut}, tags=["users"], summary="Create or invite a user (admins)")
def create_user(request: HttpRequest, payload: UserIn) -> Status:
    """Give a `password`, or `invite: true` to email a set-password link; a user with neither cannot sign in
    until an admin sets a password or sends a link."""
    can_view(request, "user")
    data = payload.dict()
    with api_fields({"team": "team_id"}):
        user = do_create_user(by=request.user, team=ref(Team, data.pop("team_id"), "team_id"), **data)
    return Status(201, _user(user.pk))


@router.get("/users/{user_id}", response=UserOut, tags=["users"], summary="Read a user (admins)")
def get_user(request: HttpRequest, user_id: IdParam) -> User:
    can_view(request, "user")
    return _user(user_id)


@router.patch("/users/{user_id}", response=UserOut, tags=["users"], summary="Change a user (admins)")
def update_user(request: HttpRequest, user_id: IdParam, payload: UserPatch) -> User:
    """Role, team, name, email, availability, capacity, a new password, deactivate or reactivate, all or nothing."""
    can_view(request, "user")
    user = _user(user_id)
    changes = payload.dict(exclude_unset=True)
    active, password = changes.pop("is_active", None), changes.pop("password", None)
    with transaction.atomic(), api_fields({"team": "team_id"}):
        if "team_id" in changes:
            changes["team"] = ref(Team, changes.pop("team_id"), "team_id")
        if changes:
            do_update_user(by=request.user, user=user, changes=changes)
        if password is not None:
            do_set_password(by=request.user, user=user, password=password)
        if active is False:
            do_deactivate_user(by=request.user, user=user)
        elif active is True:
            do_reactivate_user(by=request.user, user=user)
    return _user(user_id)


@router.post("/users/{user_id}/password-link", response={202: None}, tags=["users"],
             summary="Email a user a one-time set-password link (admins)")
def send_password_link(request: HttpRequest, user_id: IdParam, payload: PasswordLinkIn) -> Status:
    can_view(request, "user")
    do_send_password_link(by=request.user, user=_user(user_id), purpose=payload.purpose)
    return Status(202, None)


@router.get("/users/{user_id}/tokens", response=list[TokenOut], tags=["users"],
            summary="A user's API tokens, active first (admins)")
def list_tokens(request: HttpRequest, user_id: IdParam) -> list[ApiToken]:
    can_view(request, "user")
    return list(queries.tokens_of(_user(user_id)))


@router.delete("/users/{user_id}/tokens/{token_id}", response={204: None}, tags=["users"],
               summary="Revoke one of a user's API tokens (admins)")
def revoke_token(request: HttpRequest, user_id: IdParam, token_id: IdParam) -> Status:
    can_view(request, "user")
    do_revoke_api_token(by=request.user, user=_user(user_id), token_id=token_id)
    return Status(204, None)


# --- notifications (each user their own) ------------------------------------------------------------------------

class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class MarkReadIn(In):
    ids: list[Id] | None = Field(None, max_length=500, description="Omit to mark every notification read.")


class MarkedOut(Schema):
    marked: int
    unread_count: int


@router.get("/notifications", response=NotificationPage, tags=["notifications"],
            summary="Your notifications, newest first")
def list_notifications(
    request: HttpRequest, unread: bool = False, cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT,
) -> dict:
    qs = queries.notifications_of(request.user, unread_only=unread)
    items, next_cursor = paginate(qs, sort="-created_at", allowed=("created_at",), cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor, "unread_count": queries.unread_count(request.user)}


@router.post("/notifications/read", response=MarkedOut, tags=["notifications"],
             summary="Mark your notifications read (the ones named, or all)")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict:
    marked = do_mark_notifications_read(user=request.user, ids=payload.ids)
    return {"marked": marked, "unread_count": queries.unread_count(request.user)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut, tags=["notifications"],
             summary="Mark one of your notifications read")
def mark_one_read(request: HttpRequest, notification_id: IdParam) -> Notification:
    note = get_or_404(queries.notifications_of(request.user), notification_id, "notification")
    do_mark_notifications_read(user=request.user, ids=[note.pk])
    note.refresh_from_db()
    return note
