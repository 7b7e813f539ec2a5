"""Company writes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from plumbline.core.permissions import check, check_owner, default_owner
from plumbline.core.validation import apply_changes, full_clean, normalize_domain
from plumbline.crm.custom_fields import clean_custom
from plumbline.crm.models import Company, Contact
from plumbline.events.actions import emit

COMPANY_FIELDS = ("name", "domain", "industry", "employee_count", "annual_revenue", "country", "owner", "custom")


def _prepare(changes: dict[str, Any]) -> dict[str, Any]:
    changes = dict(changes)
    if "domain" in changes:
        changes["domain"] = normalize_domain(changes["domain"])
    if "country" in changes and changes["country"]:
        changes["country"] = str(changes["country"]).strip().upper()
    if "name" in changes and changes["name"] is not None:
        changes["name"] = str(changes["name"]).strip()
    return changes


def _link_contacts_by_domain(company: Company) -> int:
    """Contacts without a company whose email is at this company's domain join it."""
    if not company.domain:
        return 0
    return Contact.objects.filter(company__isnull=True, email__endswith="@" + company.domain).update(company=company)


@transaction.atomic
def do_create_company(*, by: Any = None, **fields: Any) -> Company:
    check(by, "add", "company")
    fields = _prepare(fields)
    fields["owner"] = default_owner(by, fields.get("owner"))
    check_owner(by, "company", fields["owner"])
    fields["custom"] = clean_custom("company", fields.get("custom"))
    company = Company()
    apply_changes(company, fields, COMPANY_FIELDS)
    full_clean(company)
    company.save()
    linked = _link_contacts_by_domain(company)
    emit(kind="company.created", subject=company, actor=by, payload={"linked_contacts": linked})
    return company


@transaction.atomic
def do_update_company(*, by: Any = None, company: Company, changes: dict[str, Any]) -> Company:
    check(by, "change", "company", company)
    changes = _prepare(changes)
    if "owner" in changes:
        check_owner(by, "company", changes["owner"], current=company.owner_id)
    if "custom" in changes:
        changes["custom"] = clean_custom("company", changes["custom"], current=company.custom)
    changed = apply_changes(company, changes, COMPANY_FIELDS)
    if changed:
        full_clean(company)
        company.save(update_fields=[*changed, "updated_at"])
        linked = _link_contacts_by_domain(company) if "domain" in changed else 0
        emit(kind="company.updated", subject=company, actor=by,
             payload={"fields": sorted(changed), "linked_contacts": linked})
    return company


@transaction.atomic
def do_delete_company(*, by: Any = None, company: Company) -> None:
    check(by, "delete", "company", company)
    company.delete()
