"""/contacts/{id}/consent (a contact's ledger, and recording a change) and /subscription-types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from plumbline.consent import queries
from plumbline.consent.actions import do_create_subscription_type, do_record_consent, do_request_opt_in
from plumbline.consent.models import Basis, Channel, ConsentEntry, SubscriptionType
from plumbline.core.api_helpers import (
    IdParam,
    In,
    Instant,
    Limit,
    QueryText,
    can_view,
    get_or_404,
    name_text,
    text,
)
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm.models import Contact

router = Router(tags=["consent"])

ChannelIn = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
BasisIn = Literal[tuple(Basis.values)]  # type: ignore[valid-type]
# What an API caller may name as the source (the confirmation, merge and preference centre are the system's own).
SourceIn = Literal["api", "form", "import", "admin", "unsubscribe", "tracking"]
Code = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]

Text50, Text100, Text200, Text500, Text2000 = text(50), text(100), text(200), text(500), text(2000)


class ProofIn(In):
    """What the person saw and did. The IP is stored only as a keyed hash."""

    form: Text200 | None = None
    text: Text2000 | None = Field(None, description="The exact words of the checkbox or question.")
    version: Text50 | Annotated[int, Field(ge=0, le=2**31)] | None = Field(
        None, description="The version of that text.")
    ip: Text100 | None = Field(None, description="The person's IP address: kept only as a hash.")
    user_agent: Text500 | None = None
    page_url: Text2000 | None = None
    note: Text500 | None = None


class ConsentIn(In):
    channel: ChannelIn
    subscription: Code | None = Field(None, description="A subscription type's code; none for the whole channel.")
    granted: bool
    basis: BasisIn = "consent"
    source: SourceIn = "api"
    double_opt_in: bool = Field(False, description=(
        "For the grant of an email subscription type: ask for confirmation by email instead of granting now; the "
        "person's click grants it. Withdrawals and channel-wide entries are recorded as they are."))
    proof: ProofIn | None = None
    occurred_at: Instant | None = None


class ConsentOut(Schema):
    id: int
    channel: str
    subscription: str | None
    subscription_label: str | None
    status: str = Field(description="granted, withdrawn or requested (confirmation requested).")
    basis: str
    source: str
    proof: dict[str, Any]
    recorded_by_id: int | None
    occurred_at: dt.datetime

    @staticmethod
    def resolve_subscription(obj: ConsentEntry) -> str | None:
        return obj.subscription.code if obj.subscription_id else None

    @staticmethod
    def resolve_subscription_label(obj: ConsentEntry) -> str | None:
        return obj.subscription.label if obj.subscription_id else None


class ConsentPage(Schema):
    items: list[ConsentOut]
    next_cursor: str | None


class TypeIn(In):
    code: Code
    label: name_text(100)
    description: text(500) = ""
    channel: ChannelIn = "email"
    double_opt_in: bool = True
    active: bool = True
    position: Annotated[int, Field(ge=0, le=999)] = 0


class TypeOut(Schema):
    id: int
    code: str
    label: str
    description: str
    channel: str
    double_opt_in: bool
    active: bool
    position: int


class TypePage(Schema):
    items: list[TypeOut]
    next_cursor: str | None


def _proof(payload: ConsentIn) -> dict[str, Any]:
    return {k: v for k, v in (payload.proof.dict() if payload.proof else {}).items() if v is not None}


@router.get("/contacts/{contact_id}/consent", response=ConsentPage, summary="A contact's consent ledger")
def list_consent(request: HttpRequest, contact_id: IdParam, sort: Literal["occurred_at", "-occurred_at"] = "-occurred_at",
                 cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT) -> dict:
    """Every entry, newest first by default: channel, subscription type, granted/withdrawn/requested, lawful
    basis, source, time and proof."""
    can_view(request, "consent")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    rows, next_cursor = paginate(queries.ledger(contact), sort=sort, allowed=("occurred_at",), cursor=cursor,
                                 limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/contacts/{contact_id}/consent", response={201: ConsentOut}, summary="Record a change of consent")
@idempotent
def record_consent(request: HttpRequest, contact_id: IdParam, payload: ConsentIn) -> Status:
    """Appends to the ledger through the same actions as forms and the preference centre. With `double_opt_in`
    (a grant of an email subscription), the entry is "requested" and the confirmation email goes out."""
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    if payload.double_opt_in and payload.granted and payload.subscription:
        entry = do_request_opt_in(contact=contact, subscription=payload.subscription, source=payload.source,
                                  proof=_proof(payload), by=request.user, at=payload.occurred_at)
    else:
        entry = do_record_consent(contact=contact, channel=payload.channel, subscription=payload.subscription,
                                  granted=payload.granted, basis=payload.basis, source=payload.source,
                                  proof=_proof(payload), by=request.user, at=payload.occurred_at)
    return Status(201, ConsentEntry.objects.select_related("subscription").get(pk=entry.pk))


@router.get("/subscription-types", response=TypePage, summary="List subscription types")
def list_types(request: HttpRequest, cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT) -> dict:
    can_view(request, "subscription_type")
    rows, next_cursor = paginate(queries.subscription_types(include_inactive=True), sort="position",
                                 allowed=("position",), cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/subscription-types", response={201: TypeOut}, summary="Create a subscription type")
@idempotent
def create_type(request: HttpRequest, payload: TypeIn) -> Status:
    sub: SubscriptionType = do_create_subscription_type(by=request.user, **payload.dict())
    return Status(201, sub)

