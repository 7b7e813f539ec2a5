"""/tracking/sites (register the websites that embed the snippet, read their hit counts) and
/tracking/identify (stitch a visitor id to a contact, for servers that learn who a visitor is)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from plumbline.core.api_helpers import Id, IdParam, In, can_view, fresh, get_or_404, name_text
from plumbline.core.errors import DomainError, MissingReferences
from plumbline.core.idempotency import idempotent
from plumbline.core.permissions import check
from plumbline.crm.models import Contact
from plumbline.tracking import queries
from plumbline.tracking.actions import (
    ORIGIN_PATTERN,
    do_create_site,
    do_delete_site,
    do_identify,
    do_update_site,
)
from plumbline.tracking.beacon import ID_PATTERN
from plumbline.tracking.models import Site

router = Router(tags=["tracking"])


# An origin as browsers send it: scheme and host (and port), nothing after.
Origin = Annotated[str, StringConstraints(strict=True, max_length=200, pattern=ORIGIN_PATTERN)]
Origins = Annotated[list[Origin], Field(max_length=50)]
VisitorId = Annotated[str, StringConstraints(strict=True, pattern=ID_PATTERN)]


class SiteIn(In):
    name: name_text(200)
    origins: Origins = []
    gdpr_mode: bool = False


class SitePatch(In):
    name: name_text(200) = None
    origins: Origins = None
    gdpr_mode: bool = None
    active: bool = None


class SiteOut(Schema):
    id: int
    name: str
    key: str
    origins: list[str]
    gdpr_mode: bool
    active: bool
    snippet: str
    created_at: dt.datetime

    @staticmethod
    def resolve_origins(obj: Site) -> list[str]:
        return obj.origin_list

    @staticmethod
    def resolve_snippet(obj: Site) -> str:
        return queries.snippet(obj)


class HitCount(Schema):
    kind: str
    human: int
    bot: int


class IdentifyIn(In):
    visitor_id: VisitorId
    contact_id: Id


class IdentifyOut(Schema):
    touchpoints: int


@router.get("/tracking/sites", response=list[SiteOut], summary="List tracked sites", tags=["tracking"])
def list_sites(request: HttpRequest) -> list[Site]:
    can_view(request, "site")
    return list(queries.sites()[:500])


@router.post("/tracking/sites", response={201: SiteOut}, summary="Register a site", tags=["tracking"])
@idempotent
def create_site(request: HttpRequest, payload: SiteIn) -> Status:
    fields = payload.dict()
    return Status(201, fresh(do_create_site(by=request.user, **{**fields, "origins": "\n".join(fields["origins"])})))


@router.get("/tracking/sites/{site_id}", response=SiteOut, summary="Read a site", tags=["tracking"])
def get_site(request: HttpRequest, site_id: IdParam) -> Site:
    can_view(request, "site")
    return get_or_404(Site.objects.all(), site_id, "site")


@router.patch("/tracking/sites/{site_id}", response=SiteOut, summary="Change a site", tags=["tracking"])
def update_site(request: HttpRequest, site_id: IdParam, payload: SitePatch) -> Site:
    site = get_or_404(Site.objects.all(), site_id, "site")
    changes = payload.dict(exclude_unset=True)
    if "origins" in changes:
        changes["origins"] = "\n".join(changes["origins"] or [])
    site = fresh(do_update_site(by=request.user, site=site, changes=changes))
    queries.forget_cached_sites()
    return site


@router.delete("/tracking/sites/{site_id}", response={204: None}, summary="Delete a site and its hits",
               tags=["tracking"])
def delete_site(request: HttpRequest, site_id: IdParam) -> Status:
    do_delete_site(by=request.user, site=get_or_404(Site.objects.all(), site_id, "site"))
    return Status(204, None)


@router.get("/tracking/sites/{site_id}/hits", response=list[HitCount], summary="Hits of a site, people and bots apart",
            tags=["tracking"])
def site_hits(request: HttpRequest, site_id: IdParam) -> list[dict]:
    can_view(request, "site")
    return queries.hit_counts(get_or_404(Site.objects.all(), site_id, "site"))


@router.post("/tracking/identify", response={200: IdentifyOut}, summary="Stitch a visitor to a contact",
             tags=["tracking"])
@idempotent
def identify(request: HttpRequest, payload: IdentifyIn) -> dict:
    """The visitor's earlier hits become the contact's touchpoints; later ones follow. A visitor id is 22
    characters of base64url (128 random bits); any other value is refused."""
    check(request.user, "add", "touchpoint")
    contact = Contact.objects.filter(pk=payload.contact_id).first()
    if contact is None:
        raise MissingReferences([DomainError(f"No contact with id {payload.contact_id}.", field="contact_id",
                                             code="does_not_exist")])
    return {"touchpoints": do_identify(visitor_id=payload.visitor_id, contact=contact, source="api",
                                       by=request.user)}
