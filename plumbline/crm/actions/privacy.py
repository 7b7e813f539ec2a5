"""Erasing a contact (the right to erasure). The contact's row stays, anonymised, with every row that hangs on it
(touchpoints, deal roles, scores, assignments), so campaign, attribution and pipeline totals do not change; its
personal data goes, everywhere:

- the contact's own fields (email becomes `erased-<id>@erased.invalid`), its activities' subjects and bodies,
  the snapshots of contacts merged into it, its suggested duplicate pairs;
- every app's own data through the erasers registered in crm.hooks (consent strips its proofs, tracking its raw
  events, ...), in this transaction;
- then a sweep of every text and JSON column of every table for the contact's email, full name and phone as they
  were (feed payloads, webhook bodies, stored API answers, notifications, import undo logs ...), each occurrence
  replaced by "[erased]". The sweep reads whole tables: erasure is rare and thorough beats fast here.

An ErasureRecord keeps who erased which contact id and when (no personal data), and `contact.erased` goes on
the feed."""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from plumbline.core.permissions import check
from plumbline.crm.hooks import erasers
from plumbline.crm.models import Activity, Contact, ContactMerge, DuplicatePair, ErasureRecord
from plumbline.events.actions import emit

ERASED = "[erased]"
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def erased_email(contact_id: int) -> str:
    return f"erased-{contact_id}@erased.invalid"


def _needles(contact: Contact) -> list[str]:
    """The strings that identify the person: the email, the full name (both names: one name alone is too common
    to sweep), the phone."""
    found = [contact.email]
    if contact.first_name.strip() and contact.last_name.strip():
        found.append(contact.full_name)
    if sum(ch.isdigit() for ch in contact.phone) >= 6:
        found.append(contact.phone.strip())
    # An erased contact erased again: its placeholder address is no one's personal data.
    return [n for n in found if n and len(n) >= 5 and n != erased_email(contact.pk)]


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {_scrub(k, pattern): _scrub(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    return value


def sweep(needles: list[str]) -> int:
    """Replace every occurrence of the needles in every text and JSON column of every table; returns the rows
    changed."""
    if not needles:
        return 0
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)), re.IGNORECASE)
    changed = 0
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS) or field.choices or field.name == "password":
                continue
            query = models.Q()
            for needle in needles:
                query |= models.Q(**{f"{field.name}__icontains": needle})
            for pk, value in model._default_manager.filter(query).values_list("pk", field.attname):
                model._default_manager.filter(pk=pk).update(**{field.attname: _scrub(value, pattern)})
                changed += 1
    return changed


def _same_person(contact: Contact) -> list[int]:
    """The contact's id and those of the contacts merged into it (their rows, events and snapshots are its)."""
    merged = ContactMerge.objects.filter(survivor_id=contact.pk).values_list("merged_id", flat=True)
    return [contact.pk, *sorted(set(merged))]


@transaction.atomic
def do_erase_contact(*, by: Any = None, contact: Contact) -> ErasureRecord:
    """Erase the contact's personal data everywhere and keep its anonymised row (module docstring)."""
    check(by, "delete", "privacy")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    needles = _needles(contact)
    ids = _same_person(contact)
    now = timezone.now()
    Contact.objects.filter(pk=contact.pk).update(
        email=erased_email(contact.pk), first_name="", last_name="", title="", phone="", source="", custom={},
        updated_at=now)
    Activity.objects.filter(contact_id__in=ids).update(subject="Erased", body="")
    ContactMerge.objects.filter(models.Q(survivor_id__in=ids) | models.Q(merged_id__in=ids)).update(
        merged={}, merged_email="", dropped=[], changes={})
    DuplicatePair.objects.filter(models.Q(left_id__in=ids) | models.Q(right_id__in=ids)).delete()
    ran = []
    for name, erase in erasers().items():
        erase(ids)
        ran.append(name)
    sweep(needles)
    record = ErasureRecord.objects.create(contact_id=contact.pk, erased_by=by if getattr(by, "pk", None) else None,
                                          erased_at=now, erasers=ran)
    emit(kind="contact.erased", subject=("contact", contact.pk), actor=by, occurred_at=now,
         payload={"erasure_id": record.pk, "anonymised": True})
    return record
