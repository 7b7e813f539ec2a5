"""Privacy rights on a contact (admins): everything held about it as one JSON document, and erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from plumbline.core.api_helpers import IdParam, get_or_404
from plumbline.core.idempotency import idempotent
from plumbline.core.permissions import require
from plumbline.crm.actions import do_erase_contact
from plumbline.crm.models import Contact
from plumbline.crm.privacy import privacy_export

router = Router(tags=["privacy"])


class ErasureOut(Schema):
    id: int
    contact_id: int
    erased_by_id: int | None
    erased_at: dt.datetime
    erasers: list[str]


@router.get("/contacts/{contact_id}/export", response=dict[str, Any], summary="Export everything held about a contact")
def export_contact(request: HttpRequest, contact_id: IdParam) -> dict[str, Any]:
    """The contact's fields, company, deals, activities, every row that belongs to it (touchpoints, scores,
    assignments, consent ledger ...) and what each app adds: one JSON document (the right of access)."""
    require(request.user, "delete", "privacy")
    return privacy_export(get_or_404(Contact.objects.all(), contact_id, "contact"))


@router.post("/contacts/{contact_id}/erase", response=ErasureOut, summary="Erase a contact's personal data")
@idempotent
def erase_contact(request: HttpRequest, contact_id: IdParam) -> Any:
    """Removes the person's personal data everywhere and keeps the anonymised record, so campaign and
    attribution totals do not change. Records who erased whom and when. Cannot be undone."""
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    return do_erase_contact(by=request.user, contact=contact)
