"""CSV exports whose headers match the importers, so an export imports back without changes."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from plumbline.crm.models import Company, Contact, Deal
from plumbline.interop.csvfile import escape
from plumbline.marketing.models import Touchpoint

# kind -> (queryset, [(header, value path)]): paths are read with values_list, so no query per row.
EXPORTS: dict[str, tuple[Any, list[tuple[str, str]]]] = {
    "contacts": (lambda: Contact.objects.order_by("id"), [
        ("email", "email"), ("first_name", "first_name"), ("last_name", "last_name"), ("title", "title"),
        ("phone", "phone"), ("company_domain", "company__domain"), ("company_name", "company__name"),
        ("owner", "owner__username"), ("source", "source"), ("consent_status", "consent_status"),
        ("lifecycle_stage", "lifecycle_stage"),
    ]),
    "companies": (lambda: Company.objects.order_by("id"), [
        ("name", "name"), ("domain", "domain"), ("industry", "industry"), ("employee_count", "employee_count"),
        ("annual_revenue", "annual_revenue"), ("country", "country"), ("owner", "owner__username"),
    ]),
    "deals": (lambda: Deal.objects.order_by("id"), [
        ("name", "name"), ("company_domain", "company__domain"), ("company_name", "company__name"),
        ("pipeline", "pipeline__name"), ("stage", "stage__name"), ("amount", "amount"), ("currency", "currency"),
        ("expected_close_date", "expected_close_date"), ("owner", "owner__username"),
        ("close_reason", "close_reason"),
    ]),
    "touchpoints": (lambda: Touchpoint.objects.order_by("id"), [
        ("contact_email", "contact__email"), ("campaign", "campaign__utm_campaign"), ("channel", "channel"),
        ("kind", "kind"), ("occurred_at", "occurred_at"), ("source", "source"), ("medium", "medium"),
        ("utm_campaign", "utm_campaign"), ("utm_content", "utm_content"), ("utm_term", "utm_term"),
        ("content", "content"), ("value", "value"),
    ]),
}


class _Line:
    """A file-like object that hands back what csv.writer wrote, one line at a time."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return escape(str(value))


def export_rows(kind: str, queryset: QuerySet | None = None, *, chunk_size: int = 2000) -> Iterator[str]:
    """CSV lines (header first) for every record of `kind`, streamed from the database in chunks."""
    make, columns = EXPORTS[kind]
    writer = csv.writer(_Line())
    yield writer.writerow([h for h, _ in columns])
    qs = (queryset if queryset is not None else make()).values_list(*[p for _, p in columns])
    for values in qs.iterator(chunk_size=chunk_size):
        yield writer.writerow([_cell(v) for v in values])
