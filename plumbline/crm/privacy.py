"""The privacy export (the right of access): one JSON document of everything held about a contact. The CRM's
own records are listed by name; every other table whose rows belong to the contact is found from the model (as a
merge finds what to move), so a table added later is exported too; then what each app's registered exporter
adds (crm.hooks.register_exporter)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.core import serializers
from django.db import models
from django.utils import timezone

from plumbline.crm.hooks import exporters
from plumbline.crm.models import Activity, Contact, ContactMerge, Deal

# Rows the export lists in their own sections, or that hold nothing of the person (suggested duplicate pairs).
OWN_SECTIONS = {"crm.activity", "crm.dealcontact", "crm.duplicatepair"}


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _rows(queryset: models.QuerySet) -> list[dict[str, Any]]:
    return [{"id": row["pk"], **jsonable(row["fields"])} for row in serializers.serialize("python", queryset)]


def _contact_fields(contact: Contact) -> dict[str, Any]:
    return {f.attname: jsonable(f.value_from_object(contact)) for f in Contact._meta.concrete_fields}


def _deals(contact: Contact) -> list[dict[str, Any]]:
    deals = Deal.objects.filter(deal_contacts__contact=contact).select_related("stage", "pipeline").order_by("pk")
    roles = dict(contact.deal_roles.values_list("deal_id", "role"))
    return [{"id": d.pk, "name": d.name, "amount": jsonable(d.amount), "currency": d.currency,
             "pipeline": d.pipeline.name, "stage": d.stage.name, "status": d.status, "role": roles.get(d.pk, ""),
             "created_at": jsonable(d.created_at)} for d in deals]


def _related(contact: Contact) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for rel in Contact._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        label = rel.related_model._meta.label_lower
        if label in OWN_SECTIONS:
            continue
        rows = _rows(rel.related_model._default_manager.filter(**{rel.field.name: contact}).order_by("pk"))
        if rows:
            out[label] = rows
    return out


def privacy_export(contact: Contact) -> dict[str, Any]:
    """Everything held about the contact, as one JSON-ready document."""
    company = contact.company
    return {
        "exported_at": timezone.now().isoformat(),
        "contact": _contact_fields(contact),
        "company": {"id": company.pk, "name": company.name, "domain": company.domain} if company else None,
        "deals": _deals(contact),
        "activities": _rows(Activity.objects.filter(contact=contact).order_by("occurred_at", "pk")),
        "merged_into_this_contact": _rows(ContactMerge.objects.filter(survivor_id=contact.pk).order_by("pk")),
        "records": _related(contact),
        "apps": {name: jsonable(fn(contact)) for name, fn in exporters().items()},
    }
