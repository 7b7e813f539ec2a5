"""Deals: the columns are parsed and checked here (pipeline and stage found by name); `crm.actions.do_import_deals`
upserts them by (name, company): a new stage is a recorded move, closing as lost needs a reason."""

from __future__ import annotations

from typing import Any

from plumbline.crm.actions import CompanyResolver, do_import_deals
from plumbline.crm.models import Deal, Pipeline, PipelineStage
from plumbline.interop.importers.base import ImportReport, Row, apply_results


class DealImporter:
    kind = "deals"
    resource = "deal"
    fields = ("name", "company_domain", "company_name", "pipeline", "stage", "amount", "currency",
              "expected_close_date", "owner", "close_reason")
    required = ("name",)
    aliases = {"deal": "name", "deal_name": "name", "opportunity": "name", "company": "company_name",
               "account": "company_name", "domain": "company_domain", "website": "company_domain",
               "deal_stage": "stage", "value": "amount", "close_date": "expected_close_date",
               "lost_reason": "close_reason", "reason": "close_reason", "owner_username": "owner"}

    def __init__(self, *, by: Any, users: dict[str, Any], filename: str) -> None:
        self.by, self.users = by, users
        self.companies = CompanyResolver()
        self.pipelines = {p.name.lower(): p for p in Pipeline.objects.all()}
        self.default = next((p for p in self.pipelines.values() if p.is_default), None) or min(
            self.pipelines.values(), key=lambda p: p.pk, default=None)
        self.stages: dict[int, dict[str, PipelineStage]] = {}
        for stage in PipelineStage.objects.order_by("position"):
            self.stages.setdefault(stage.pipeline_id, {}).setdefault(stage.name.lower(), stage)

    def clean(self, row: Row) -> dict[str, Any] | None:
        data: dict[str, Any] = {"name": row.text("name", Deal)}
        if not data["name"]:
            row.error("name", "Name is required.")
        pipeline = self.pipelines.get(row.get("pipeline").lower()) if row.has("pipeline") else self.default
        if pipeline is None:
            row.error("pipeline", f"No pipeline named {row.get('pipeline')!r}." if row.has("pipeline")
                      else "There is no pipeline yet; create one first.")
        data["pipeline"] = pipeline
        data["stage"] = None
        if pipeline is not None and row.has("stage"):
            data["stage"] = self.stages.get(pipeline.pk, {}).get(row.get("stage").lower())
            if data["stage"] is None:
                row.error("stage", f"{pipeline.name} has no stage {row.get('stage')!r}.")
        if row.has("amount"):
            data["amount"] = row.decimal("amount")
        if row.has("currency"):
            data["currency"] = row.get("currency").upper()
            if len(data["currency"]) != 3 or not data["currency"].isalpha():
                row.error("currency", f"{row.get('currency')!r} is not a three-letter currency code like EUR.")
        if row.has("expected_close_date"):
            data["expected_close_date"] = row.date("expected_close_date")
        if row.has("owner"):
            data["owner"] = row.user("owner", self.users)
        data["company_domain"] = row.domain("company_domain") if row.has("company_domain") else None
        data["company_name"] = row.get("company_name")
        data["close_reason"] = row.get("close_reason")
        if len(data["close_reason"]) > 500:
            row.error("close_reason", "is longer than 500 characters.")
        return None if row.errors else data

    def process(self, rows: list[tuple[Row, dict[str, Any]]], report: ImportReport) -> None:
        results = do_import_deals(by=self.by, rows=[d for _, d in rows], companies=self.companies,
                                  journal=self.journal)
        apply_results(report, rows, results, self.fields)
