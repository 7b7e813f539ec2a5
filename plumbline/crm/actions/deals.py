"""Deal writes: create, change, move through stages, contacts with roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.core.errors import DomainError
from plumbline.core.permissions import check, check_owner, default_owner
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.models import Contact, Deal, DealContact, DealTransition, Pipeline, PipelineStage
from plumbline.events.actions import EventSpec, emit_many

DEAL_FIELDS = ("name", "pipeline", "stage", "amount", "currency", "expected_close_date", "owner", "company")
EDITABLE_FIELDS = tuple(f for f in DEAL_FIELDS if f not in ("pipeline", "stage"))


def _status_for(stage: PipelineStage) -> str:
    return {"won": Deal.Status.WON, "lost": Deal.Status.LOST}.get(stage.kind, Deal.Status.OPEN)


def _default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.order_by("id").first()
    if pipeline is None:
        raise DomainError("There is no pipeline yet; create one first.", field="pipeline", code="required")
    return pipeline


@transaction.atomic
def do_create_deal(
    *,
    by: Any = None,
    name: str,
    pipeline: Pipeline | None = None,
    stage: PipelineStage | None = None,
    contacts: list[tuple[Contact, str]] | None = None,
    occurred_at: Any = None,
    **fields: Any,
) -> Deal:
    check(by, "add", "deal")
    pipeline = pipeline or (stage.pipeline if stage else _default_pipeline())
    stage = stage or pipeline.stages.order_by("position").first()
    if stage is None or stage.pipeline_id != pipeline.pk:
        raise DomainError("The stage does not belong to this pipeline.", field="stage")
    fields["owner"] = default_owner(by, fields.get("owner"))
    check_owner(by, "deal", fields["owner"])
    if fields.get("currency"):
        fields["currency"] = str(fields["currency"]).strip().upper()
    deal = Deal(status=_status_for(stage))
    apply_changes(deal, {"name": (name or "").strip(), "pipeline": pipeline, "stage": stage, **fields}, DEAL_FIELDS)
    when = occurred_at or timezone.now()
    if deal.status != Deal.Status.OPEN:
        deal.closed_at = when
    full_clean(deal)
    deal.save()
    DealTransition.objects.create(
        deal=deal, from_stage=None, to_stage=stage, occurred_at=when, by=by, reason="Created", amount=deal.amount
    )
    for contact, role in contacts or []:
        _set_contact_role(deal, contact, role)
    payload = {"pipeline_id": pipeline.pk, "stage_id": stage.pk, "status": deal.status,
               "company_id": deal.company_id, "owner_id": deal.owner_id,
               "contact_ids": sorted(c.pk for c, _ in contacts or [])}
    _emit(deal, ["deal.created"], payload, by, when)
    return deal


def _emit(deal: Deal, kinds: list[str], payload: dict[str, Any], by: Any, when: Any) -> None:
    """The deal's events; a deal that closes also says how (`deal.won`, `deal.lost`)."""
    if deal.status != Deal.Status.OPEN:
        kinds = [*kinds, f"deal.{deal.status}"]
    emit_many(EventSpec(kind=kind, subject_type="deal", subject_id=deal.pk, payload=payload, occurred_at=when,
                        actor_id=getattr(by, "pk", None)) for kind in kinds)


@transaction.atomic
def do_update_deal(*, by: Any = None, deal: Deal, changes: dict[str, Any]) -> Deal:
    """Change deal fields. Stage changes go through `do_move_deal` so they are recorded."""
    check(by, "change", "deal", deal)
    if "stage" in changes or "pipeline" in changes:
        raise DomainError("Move the deal with its own action so the move is recorded.", field="stage")
    if "owner" in changes:
        check_owner(by, "deal", changes["owner"], current=deal.owner_id)
    if changes.get("currency"):
        changes = {**changes, "currency": str(changes["currency"]).strip().upper()}
    changed = apply_changes(deal, changes, EDITABLE_FIELDS)
    if changed:
        full_clean(deal)
        deal.save(update_fields=[*changed, "updated_at"])
    return deal


@transaction.atomic
def do_move_deal(
    *, by: Any = None, deal: Deal, stage: PipelineStage, reason: str = "", occurred_at: Any = None
) -> DealTransition:
    """Move a deal to another stage of its pipeline; closing as won or lost needs a reason for lost."""
    check(by, "change", "deal", deal)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if stage.pipeline_id != locked.pipeline_id:
        raise DomainError("That stage belongs to another pipeline.", field="stage")
    if stage.pk == locked.stage_id:
        raise DomainError(f"The deal is already in {stage.name}.", field="stage", code="illegal_move")
    reason = (reason or "").strip()
    if stage.kind == PipelineStage.Kind.LOST and not reason:
        raise DomainError("Say why the deal was lost.", field="reason", code="required")
    if len(reason) > 500:
        raise DomainError("Reason is longer than 500 characters.", field="reason", code="max_length")
    when = occurred_at or timezone.now()
    transition = DealTransition.objects.create(
        deal=locked, from_stage_id=locked.stage_id, to_stage=stage, occurred_at=when, by=by, reason=reason,
        amount=locked.amount,
    )
    status = _status_for(stage)
    deal.stage, deal.status = stage, status
    deal.closed_at = when if status != Deal.Status.OPEN else None
    deal.close_reason = reason if status != Deal.Status.OPEN else ""
    deal.save(update_fields=["stage", "status", "closed_at", "close_reason", "updated_at"])
    _emit(deal, ["deal.moved"], {"from_stage_id": transition.from_stage_id, "to_stage_id": stage.pk,
                                 "status": status, "pipeline_id": stage.pipeline_id}, by, when)
    return transition


def _set_contact_role(deal: Deal, contact: Contact, role: str) -> DealContact:
    if role not in DealContact.Role.values:
        raise DomainError(f"Unknown role {role!r}; choose one of {', '.join(DealContact.Role.values)}.", field="role")
    link, _ = DealContact.objects.update_or_create(deal=deal, contact=contact, defaults={"role": role})
    return link


@transaction.atomic
def do_set_deal_contact(*, by: Any = None, deal: Deal, contact: Contact, role: str) -> DealContact:
    check(by, "change", "deal", deal)
    return _set_contact_role(deal, contact, role)


@transaction.atomic
def do_remove_deal_contact(*, by: Any = None, deal: Deal, contact: Contact) -> None:
    check(by, "change", "deal", deal)
    DealContact.objects.filter(deal=deal, contact=contact).delete()


@transaction.atomic
def do_delete_deal(*, by: Any = None, deal: Deal) -> None:
    check(by, "delete", "deal", deal)
    deal.delete()
