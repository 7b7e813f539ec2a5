"""/deals: CRUD, list with filters, moves between stages, contacts with roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from plumbline.accounts.models import User
from plumbline.core.api_helpers import (
    REF_RENAMES,
    Id,
    IdParam,
    In,
    Instant,
    Limit,
    QueryText,
    api_fields,
    can_view,
    fresh,
    get_or_404,
    money,
    name_text,
    ref,
    resolve_refs,
    sort_param,
    text,
)
from plumbline.core.errors import NotFound
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm import queries
from plumbline.crm.actions import (
    do_create_deal,
    do_delete_deal,
    do_move_deal,
    do_remove_deal_contact,
    do_set_deal_contact,
    do_update_deal,
)
from plumbline.crm.models import Company, Contact, Deal, DealContact, Pipeline, PipelineStage

router = Router(tags=["deals"])

SORTS = ("updated_at", "created_at", "amount", "name")
Amount = money(max_digits=16)
Currency = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z]{3}$")]
Role = Literal[tuple(DealContact.Role.values)]  # type: ignore[valid-type]
DealStatus = Literal[tuple(Deal.Status.values)]  # type: ignore[valid-type]
REFS = {
    "owner_id": (User, "owner"), "company_id": (Company, "company"), "pipeline_id": (Pipeline, "pipeline"),
    "stage_id": (PipelineStage, "stage"),
}


class DealContactIn(In):
    contact_id: Id
    role: Role = DealContact.Role.OTHER.value


class DealIn(In):
    name: name_text(200)
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    amount: Amount = Decimal(0)
    currency: Currency = "USD"
    expected_close_date: dt.date | None = None
    owner_id: Id | None = None
    company_id: Id | None = None
    contacts: list[DealContactIn] = Field(default=[], max_length=100)


class DealPatch(In):
    name: name_text(200) = None
    amount: Amount = None
    currency: Currency = None
    expected_close_date: dt.date | None = None
    owner_id: Id | None = None
    company_id: Id | None = None


class DealContactOut(Schema):
    contact_id: int
    role: str


class DealOut(Schema):
    id: int
    name: str
    pipeline_id: int
    stage_id: int
    amount: Decimal
    currency: str
    expected_close_date: dt.date | None
    owner_id: int | None
    company_id: int | None
    status: str
    closed_at: dt.datetime | None
    close_reason: str
    contacts: list[DealContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_contacts(obj: Deal) -> list[dict]:
        return [{"contact_id": dc.contact_id, "role": dc.role} for dc in obj.deal_contacts.all()]


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None


class MoveIn(In):
    stage_id: Id
    reason: text(500) = ""


class DealTransitionOut(Schema):
    id: int
    from_stage_id: int | None
    to_stage_id: int
    occurred_at: dt.datetime
    by_id: int | None
    reason: str
    amount: Decimal


class MoveOut(Schema):
    deal: DealOut
    transition: DealTransitionOut


class RoleIn(In):
    role: Role


def _deals():
    return queries.deals().prefetch_related(Prefetch("deal_contacts", DealContact.objects.order_by("id")))


@router.get("/deals", response=DealPage, summary="List deals")
def list_deals(
    request: HttpRequest,
    q: QueryText = "",
    pipeline: IdParam | None = None,
    stage: IdParam | None = None,
    status: DealStatus | None = None,
    owner: IdParam | None = None,
    company: IdParam | None = None,
    contact: IdParam | None = None,
    updated_since: Instant | None = None,
    sort: sort_param(SORTS) = "-updated_at",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, "deal")
    qs = _deals()
    if q.strip():
        qs = qs.alias(name_lower=Lower("name")).filter(name_lower__startswith=q.strip().lower())
    for name, value in (("pipeline_id", pipeline), ("stage_id", stage), ("status", status), ("owner_id", owner),
                        ("company_id", company)):
        if value is not None:
            qs = qs.filter(**{name: value})
    if contact is not None:
        qs = qs.filter(pk__in=DealContact.objects.filter(contact_id=contact).values("deal_id"))
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/deals", response={201: DealOut}, summary="Create a deal")
@idempotent
def create_deal(request: HttpRequest, payload: DealIn) -> Status:
    """Without `stage_id` the deal starts in the first stage of `pipeline_id` (or of the default pipeline)."""
    data = payload.dict(exclude_unset=True)
    links = data.pop("contacts", [])
    with api_fields(REF_RENAMES):
        fields = resolve_refs(data, REFS)
        contacts = [
            (ref(Contact, link["contact_id"], f"contacts.{i}.contact_id"), link.get("role", DealContact.Role.OTHER))
            for i, link in enumerate(links)
        ]
        deal = do_create_deal(by=request.user, contacts=contacts, **fields)
    return Status(201, get_or_404(_deals(), deal.pk, "deal"))


@router.get("/deals/{deal_id}", response=DealOut, summary="Read a deal")
def get_deal(request: HttpRequest, deal_id: IdParam) -> Deal:
    can_view(request, "deal")
    return get_or_404(_deals(), deal_id, "deal")


@router.patch("/deals/{deal_id}", response=DealOut, summary="Change a deal")
def update_deal(request: HttpRequest, deal_id: IdParam, payload: DealPatch) -> Deal:
    """The stage is not a field here: move the deal with POST /deals/{id}/move so the move is recorded."""
    deal = get_or_404(_deals(), deal_id, "deal")
    with api_fields(REF_RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return fresh(do_update_deal(by=request.user, deal=deal, changes=changes))


@router.delete("/deals/{deal_id}", response={204: None}, summary="Delete a deal")
def delete_deal(request: HttpRequest, deal_id: IdParam) -> Status:
    deal = get_or_404(_deals(), deal_id, "deal")
    do_delete_deal(by=request.user, deal=deal)
    return Status(204, None)


@router.post("/deals/{deal_id}/move", response=MoveOut, summary="Move a deal to another stage")
def move_deal(request: HttpRequest, deal_id: IdParam, payload: MoveIn) -> dict:
    """Records the transition (from, to, when, by whom, reason); a lost stage needs a reason."""
    deal = get_or_404(_deals(), deal_id, "deal")
    with api_fields(REF_RENAMES):
        stage = ref(PipelineStage, payload.stage_id, "stage_id")
        transition = do_move_deal(by=request.user, deal=deal, stage=stage, reason=payload.reason)
    return {"deal": get_or_404(_deals(), deal.pk, "deal"), "transition": transition}


@router.put("/deals/{deal_id}/contacts/{contact_id}", response=DealContactOut, summary="Set a contact's role on a deal")
def set_deal_contact(request: HttpRequest, deal_id: IdParam, contact_id: IdParam, payload: RoleIn) -> DealContact:
    deal = get_or_404(_deals(), deal_id, "deal")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    return do_set_deal_contact(by=request.user, deal=deal, contact=contact, role=payload.role)


@router.delete("/deals/{deal_id}/contacts/{contact_id}", response={204: None}, summary="Take a contact off a deal")
def remove_deal_contact(request: HttpRequest, deal_id: IdParam, contact_id: IdParam) -> Status:
    deal = get_or_404(_deals(), deal_id, "deal")
    link = DealContact.objects.select_related("contact").filter(deal=deal, contact_id=contact_id).first()
    if link is None:
        raise NotFound(f"Contact {contact_id} is not on this deal.")
    do_remove_deal_contact(by=request.user, deal=deal, contact=link.contact)
    return Status(204, None)
