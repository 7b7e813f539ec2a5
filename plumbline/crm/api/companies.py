"""/companies: create, read, update, delete, list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models.functions import Lower
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from plumbline.accounts.models import User
from plumbline.core.api_helpers import (
    REF_RENAMES,
    Custom,
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
    resolve_refs,
    sort_param,
    text,
    whole,
)
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm import queries
from plumbline.crm.actions import do_create_company, do_delete_company, do_update_company
from plumbline.crm.models import Company

router = Router(tags=["companies"])

SORTS = ("name", "created_at", "updated_at")
# A bare domain name (the action also takes a URL or an email and keeps the domain; "" means none).
Domain = Annotated[text(253), Field(json_schema_extra={
    "pattern": r"^$|^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"})]
Count = whole(ge=0, le=2_147_483_647)
Revenue = money(max_digits=16)
REFS = {"owner_id": (User, "owner")}


class CompanyIn(In):
    name: name_text(200)
    domain: Domain | None = None
    industry: text(100) = ""
    employee_count: Count | None = None
    annual_revenue: Revenue | None = None
    country: text(2) = ""
    owner_id: Id | None = None
    custom: Custom = {}


class CompanyPatch(In):
    name: name_text(200) = None
    domain: Domain | None = None
    industry: text(100) = None
    employee_count: Count | None = None
    annual_revenue: Revenue | None = None
    country: text(2) = None
    owner_id: Id | None = None
    custom: Custom = None


class CompanyOut(Schema):
    id: int
    name: str
    domain: str | None
    industry: str
    employee_count: int | None
    annual_revenue: Decimal | None
    country: str
    owner_id: int | None
    custom: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class CompanyPage(Schema):
    items: list[CompanyOut]
    next_cursor: str | None


@router.get("/companies", response=CompanyPage, summary="List companies")
def list_companies(
    request: HttpRequest,
    q: QueryText = "",
    owner: IdParam | None = None,
    industry: QueryText | None = None,
    country: QueryText | None = None,
    updated_since: Instant | None = None,
    sort: sort_param(SORTS) = "-updated_at",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, "company")
    qs = queries.companies()
    if q.strip():
        qs = qs.alias(name_lower=Lower("name")).filter(name_lower__startswith=q.strip().lower())
    if owner is not None:
        qs = qs.filter(owner_id=owner)
    if industry:
        qs = qs.filter(industry=industry)
    if country:
        qs = qs.filter(country=country.upper())
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/companies", response={201: CompanyOut}, summary="Create a company")
@idempotent
def create_company(request: HttpRequest, payload: CompanyIn) -> Status:
    with api_fields(REF_RENAMES):
        fields = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return Status(201, fresh(do_create_company(by=request.user, **fields)))


@router.get("/companies/{company_id}", response=CompanyOut, summary="Read a company")
def get_company(request: HttpRequest, company_id: IdParam) -> Company:
    can_view(request, "company")
    return get_or_404(queries.companies(), company_id, "company")


@router.patch("/companies/{company_id}", response=CompanyOut, summary="Change a company")
def update_company(request: HttpRequest, company_id: IdParam, payload: CompanyPatch) -> Company:
    company = get_or_404(queries.companies(), company_id, "company")
    with api_fields(REF_RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return fresh(do_update_company(by=request.user, company=company, changes=changes))


@router.delete("/companies/{company_id}", response={204: None}, summary="Delete a company")
def delete_company(request: HttpRequest, company_id: IdParam) -> Status:
    company = get_or_404(queries.companies(), company_id, "company")
    do_delete_company(by=request.user, company=company)
    return Status(204, None)
