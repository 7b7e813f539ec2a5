"""Contacts: the columns are parsed and checked here, per row; `crm.actions.do_import_contacts` upserts them by
normalised email, links or creates their company and records stage changes."""

from __future__ import annotations

from typing import Any

from plumbline.consent.actions import do_record_field_consent
from plumbline.consent.models import Source
from plumbline.core.errors import DomainError
from plumbline.core.validation import normalize_email
from plumbline.crm.actions import CompanyResolver, do_import_contacts
from plumbline.crm.actions.imports import CONTACT_TEXT_FIELDS as TEXT_FIELDS
from plumbline.crm.models import ConsentStatus, Contact, LifecycleStage
from plumbline.interop.importers.base import ImportReport, Row, apply_results

CONSENT = tuple(ConsentStatus.values)  # computed once: `.values` builds a new list on every access
STAGES = tuple(LifecycleStage.values)


class ContactImporter:
    kind = "contacts"
    resource = "contact"
    fields = ("email", "first_name", "last_name", "title", "phone", "company_domain", "company_name", "owner",
              "source", "consent_status", "lifecycle_stage", "lifecycle_reason")
    required = ("email",)
    aliases = {
        "e_mail": "email", "email_address": "email", "mail": "email", "first": "first_name", "firstname": "first_name",
        "given_name": "first_name", "last": "last_name", "lastname": "last_name", "surname": "last_name",
        "family_name": "last_name", "job_title": "title", "position": "title", "telephone": "phone",
        "phone_number": "phone", "mobile": "phone", "company": "company_name", "organization": "company_name",
        "organisation": "company_name", "account": "company_name", "website": "company_domain",
        "domain": "company_domain", "company_website": "company_domain", "stage": "lifecycle_stage",
        "lifecycle": "lifecycle_stage", "consent": "consent_status", "lead_source": "source",
        "owner_username": "owner",
    }

    def __init__(self, *, by: Any, users: dict[str, Any], filename: str) -> None:
        self.by, self.users = by, users
        self.reason = f"Imported from {filename}"[:500] if filename else "Imported"
        self.companies = CompanyResolver()
        self.lines: dict[str, int] = {}  # email -> the line it first appears on

    def clean(self, row: Row) -> dict[str, Any] | None:
        data: dict[str, Any] = {}
        try:
            data["email"] = normalize_email(row.get("email"))
        except DomainError as exc:
            row.error("email", exc.message)
        else:
            first = self.lines.setdefault(data["email"], row.line)
            if first != row.line:
                row.error("email", f"{data['email']} is also on line {first}; a file may hold each contact once.")
        for name in TEXT_FIELDS:
            if row.has(name):
                data[name] = row.text(name, Contact)
        if row.has("consent_status"):
            data["consent_status"] = row.choice("consent_status", CONSENT)
        if row.has("lifecycle_stage"):
            data["lifecycle_stage"] = row.choice("lifecycle_stage", STAGES)
        if row.has("owner"):
            data["owner"] = row.user("owner", self.users)
        data["company_domain"] = row.domain("company_domain") if row.has("company_domain") else None
        data["company_name"] = row.text("company_name", Contact, "first_name") if row.has("company_name") else ""
        if len(data["company_name"]) > 200:
            row.error("company_name", "is longer than 200 characters.")
        data["lifecycle_reason"] = row.get("lifecycle_reason")[:500]
        return None if row.errors else data

    def process(self, rows: list[tuple[Row, dict[str, Any]]], report: ImportReport) -> None:
        results = do_import_contacts(by=self.by, rows=[d for _, d in rows], companies=self.companies,
                                     reason=self.reason, journal=self.journal)
        apply_results(report, rows, results, self.fields)
        # a consent column tells the ledger too, for the contacts it has no email entry of yet (new ones, mostly)
        emails = [d["email"] for (_, d), r in zip(rows, results, strict=True) if "consent_status" in d and not r.errors]
        if emails:
            ids = list(Contact.objects.filter(email__in=emails).values_list("pk", flat=True))
            do_record_field_consent(contact_ids=ids, source=Source.IMPORT)
