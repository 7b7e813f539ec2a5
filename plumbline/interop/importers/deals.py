"""Deals: upserted by (name, company); a new stage is a recorded move, closing as lost needs a reason."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from plumbline.crm.models import Deal, DealTransition, Pipeline, PipelineStage
from plumbline.interop.importers.base import CompanyResolver, ImportReport, Row
from plumbline.interop.importers.contacts import differs, preview, report_failed

STATUS = {PipelineStage.Kind.WON: Deal.Status.WON, PipelineStage.Kind.LOST: Deal.Status.LOST}


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
        self.companies.load({d["company_domain"] for _, d in rows if d["company_domain"]},
                            {d["company_name"] for _, d in rows if d["company_name"]})
        known = {(d["name"], c.pk) for _, d in rows if (c := self.companies.find(d["company_domain"], d["company_name"]))}
        existing = {(d.name, d.company_id): d for d in Deal.objects.filter(name__in={n for n, _ in known})
                    if (d.name, d.company_id) in known}
        existing.update({(d.name, None): d for d in Deal.objects.filter(
            name__in={d["name"] for _, d in rows if not d["company_domain"] and not d["company_name"]},
            company__isnull=True)})
        now = timezone.now()
        new: dict[tuple, Deal] = {}
        changed: dict[int, tuple[Deal, set[str]]] = {}
        moves: list[tuple[Deal, PipelineStage | None, PipelineStage, str]] = []
        for row, data in rows:
            company = self.companies.find_or_add(data["company_domain"], data["company_name"])
            key = (data["name"], company.pk if company and company.pk else id(company) if company else None)
            deal = new.get(key) or existing.get(key)
            stage = data["stage"]
            if deal is not None and stage is not None and deal.pipeline_id != stage.pipeline_id:
                row.error("pipeline", "A deal cannot change pipeline in an import.")
            if stage is not None and stage.kind == PipelineStage.Kind.LOST and not data["close_reason"] and (
                    deal is None or deal.stage_id != stage.pk):
                row.error("close_reason", "Say why the deal was lost: fill the close_reason column.")
            if row.errors:
                report_failed(report, row)
                continue
            values = {k: data[k] for k in ("amount", "currency", "expected_close_date", "owner") if k in data}
            if deal is None:
                stage = stage or min(self.stages[data["pipeline"].pk].values(), key=lambda s: s.position)
                deal = Deal(name=data["name"], pipeline=data["pipeline"], company=company, **values)
                self._set_stage(deal, stage, data["close_reason"], now)
                new[key] = deal
                moves.append((deal, None, stage, "Imported"))
                report.created += 1
                outcome = "create"
            else:
                fields = {k for k, v in values.items() if differs(deal, k, v)}
                for k in fields:
                    setattr(deal, k, values[k])
                if stage is not None and stage.pk != deal.stage_id:
                    moves.append((deal, deal.stage, stage, data["close_reason"]))
                    self._set_stage(deal, stage, data["close_reason"], now)
                    fields |= {"stage", "status", "closed_at", "close_reason"}
                if deal.pk and fields:
                    changed.setdefault(deal.pk, (deal, set()))[1].update(fields)
                outcome = "update" if fields else "unchanged"
                report.updated += bool(fields)
                report.unchanged += not fields
            preview(report, row, outcome, {**data, "stage": (stage or deal.stage).name, "company": company or ""})
        self.companies.save_new(self.journal)
        Deal.objects.bulk_create(new.values(), batch_size=1000)
        self.journal.created(Deal, (d.pk for d in new.values()))
        if changed:
            fields = set().union(*(f for _, f in changed.values())) | {"updated_at"}
            for deal, _ in changed.values():
                deal.updated_at = now
            self.journal.updating(Deal, [d for d, _ in changed.values()], fields)
            Deal.objects.bulk_update([d for d, _ in changed.values()], sorted(fields), batch_size=1000)
        transitions = DealTransition.objects.bulk_create(
            [DealTransition(deal=d, from_stage=f, to_stage=t, occurred_at=now, by=self.by, reason=r, amount=d.amount)
             for d, f, t, r in moves], batch_size=1000)
        self.journal.created(DealTransition, (t.pk for t in transitions))

    @staticmethod
    def _set_stage(deal: Deal, stage: PipelineStage, reason: str, now: Any) -> None:
        deal.stage = stage
        deal.status = STATUS.get(stage.kind, Deal.Status.OPEN)
        deal.closed_at = now if deal.status != Deal.Status.OPEN else None
        deal.close_reason = reason if deal.status != Deal.Status.OPEN else ""
