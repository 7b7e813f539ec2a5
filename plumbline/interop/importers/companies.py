"""Companies: the columns are parsed and checked here; `crm.actions.do_import_companies` upserts them by
normalised domain, or by exact name when the row has no domain."""

from __future__ import annotations

from typing import Any

from plumbline.crm.actions import CompanyResolver, do_import_companies
from plumbline.crm.models import Company
from plumbline.interop.importers.base import ImportReport, Row, apply_results


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
        results = do_import_companies(by=self.by, rows=[d for _, d in rows], companies=self.companies,
                                      journal=self.journal)
        apply_results(report, rows, results, self.fields)
