"""/definitions: the plumb line, its versions and their differences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from plumbline.core.api_helpers import IdParam, In, can_view, text
from plumbline.core.errors import NotFound
from plumbline.core.idempotency import idempotent
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, diff
from plumbline.definitions.schema import PlumbLine

router = Router(tags=["definitions"])


class VersionOut(Schema):
    number: int
    created_at: dt.datetime
    created_by: str | None
    note: str
    body: dict[str, Any]


class VersionSummary(Schema):
    number: int
    created_at: dt.datetime
    created_by: str | None
    note: str


class PublishIn(In):
    body: PlumbLine  # the document's schema is the API's: a body it allows is one a publish takes
    note: text(500)


class DiffRow(Schema):
    path: str
    change: str
    old: Any
    new: Any


def _out(v: DefinitionVersion) -> dict[str, Any]:
    return {"number": v.number, "created_at": v.created_at, "created_by": v.created_by.username if v.created_by_id
            else None, "note": v.note, "body": v.body}


@router.get("/definitions/current", response=VersionOut, summary="The plumb line in force")
def get_current(request: HttpRequest) -> dict[str, Any]:
    can_view(request, "definitions")
    return _out(current_version())


@router.get("/definitions/versions", response=list[VersionSummary], summary="Every version, newest first")
def list_versions(request: HttpRequest) -> list[dict[str, Any]]:
    can_view(request, "definitions")
    current_version()
    return [_out(v) for v in DefinitionVersion.objects.select_related("created_by").order_by("-number")]


@router.get("/definitions/versions/{number}", response=VersionOut)
def get_version(request: HttpRequest, number: IdParam) -> dict[str, Any]:
    can_view(request, "definitions")
    version = DefinitionVersion.objects.select_related("created_by").filter(number=number).first()
    if version is None:
        raise NotFound(f"No definitions version {number}.")
    return _out(version)


@router.get("/definitions/diff", response=list[DiffRow], summary="What changed between two versions")
def get_diff(request: HttpRequest, old: IdParam, new: IdParam) -> list[dict[str, Any]]:
    can_view(request, "definitions")
    versions = {v.number: v for v in DefinitionVersion.objects.filter(number__in=[old, new])}
    for n in (old, new):
        if n not in versions:
            raise NotFound(f"No definitions version {n}.", field="old" if n == old else "new")
    return diff(versions[old].body, versions[new].body)


@router.post("/definitions", response={201: VersionOut}, summary="Publish a new version (admins)")
@idempotent
def publish(request: HttpRequest, payload: PublishIn) -> Status:
    version = do_publish_definitions(by=request.user, body=payload.body.model_dump(mode="json"), note=payload.note)
    return Status(201, _out(version))
