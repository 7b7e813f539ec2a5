"""Companies: upserted by normalised domain, or by exact name when the row has no domain."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from plumbline.crm.models import Company
from plumbline.interop.importers.base import CompanyResolver, ImportReport, Row
from plumbline.interop.importers.contacts import differs, preview


class CompanyImporter:
    kind = "companies"
    resource = "company"
    fields = ("name", "domain", "industry", "employee_count", "annual_revenue", "country", "owner")
    required = ("name",)
    aliases = {
        "company": "name", "company_name": "name", "organization": "name", "organisation": "name",
        "account": "name", "website": "domain", "company_domain": "domain", "url": "domain", "sector": "industry",
        "employees": "employee_count", "headcount": "employee_count", "size": "employee_count",
        "revenue": "annual_revenue", "annual_revenue_usd": "annual_revenue", "country_code": "country",
        "owner_username": "owner",
    }

    def __init__(self, *, by: Any, users: dict[str, Any], filename: str) -> None:
        self.by, self.users = by, users
        self.companies = CompanyResolver(link_contacts=True)

    def clean(self, row: Row) -> dict[str, Any] | None:
        data: dict[str, Any] = {"name": row.text("name", Company)}
        if not data["name"]:
            row.error("name", "Name is required.")
        data["domain"] = row.domain("domain") if row.has("domain") else None
        if row.has("industry"):
            data["industry"] = row.text("industry", Company)
        if row.has("employee_count"):
            data["employee_count"] = row.integer("employee_count")
        if row.has("annual_revenue"):
            data["annual_revenue"] = row.decimal("annual_revenue")
        if row.has("country"):
            data["country"] = row.get("country").upper()
            if len(data["country"]) != 2 or not data["country"].isalpha():
                row.error("country", f"{row.get('country')!r} is not a two-letter ISO country code like DE.")
        if row.has("owner"):
            data["owner"] = row.user("owner", self.users)
        return None if row.errors else data

    def process(self, rows: list[tuple[Row, dict[str, Any]]], report: ImportReport) -> None:
        self.companies.load({d["domain"] for _, d in rows if d["domain"]},
                            {d["name"] for _, d in rows if not d["domain"]})
        now = timezone.now()
        changed: dict[int, tuple[Company, set[str]]] = {}
        for row, data in rows:
            company = self.companies.find(data["domain"], data["name"])
            if company is None:
                company = self.companies.find_or_add(data["domain"], data["name"])
                fields = set(data) - {"domain"}
                outcome = "create"
                report.created += 1
            else:
                fields = {k for k, v in data.items() if k != "domain" and differs(company, k, v)}
                if company.pk and fields:
                    changed.setdefault(company.pk, (company, set()))[1].update(fields)
                outcome = "update" if fields and company.pk else "unchanged" if not fields else "create"
                if outcome == "update":
                    report.updated += 1
                elif outcome == "unchanged":
                    report.unchanged += 1
            for k in fields:
                setattr(company, k, data[k])
            preview(report, row, outcome, data)
        self.companies.save_new(self.journal)
        if changed:
            fields = set().union(*(f for _, f in changed.values())) | {"updated_at"}
            for company, _ in changed.values():
                company.updated_at = now
            self.journal.updating(Company, [c for c, _ in changed.values()], fields)
            Company.objects.bulk_update([c for c, _ in changed.values()], sorted(fields), batch_size=1000)
