"""Every playbook write: frameworks and their choice per pipeline, deal answers, objections, messaging items."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from plumbline.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from plumbline.core.permissions import require
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.models import Contact, Deal, Pipeline
from plumbline.marketing.models import Touchpoint
from plumbline.playbook.models import (
    AnswerStatus,
    DealQualification,
    Framework,
    MessagingItem,
    Objection,
    PipelineFramework,
)
from plumbline.playbook.templates import ANSWER_TYPES, TEMPLATES, template_criteria

MAX_CRITERIA = 30
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def _check(by: Any, action: str, resource: str, obj: Any = None) -> None:
    """`by=None` is the system (demo, imports); a user acting is checked against the policy table."""
    if by is not None:
        require(by, action, resource, obj)  # type: ignore[arg-type]


# --- frameworks -------------------------------------------------------------------------------------------


def _text(raw: Any, field: str, max_length: int, *, required: bool = False) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise DomainError("Must be text.", field=field)
    value = raw.strip()
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise DomainError("Must not contain NUL characters.", field=field)
    if required and not value:
        raise DomainError("This field is required.", field=field, code="required")
    if len(value) > max_length:
        raise DomainError(f"At most {max_length} characters.", field=field, code="max_length")
    return value


def _criterion(raw: Any, i: int) -> tuple[dict[str, Any], list[DomainError]]:
    errors: list[DomainError] = []
    if not isinstance(raw, dict):
        return {}, [DomainError("Each criterion must be an object.", field=f"criteria.{i}")]
    unknown = sorted(set(raw) - {"key", "label", "question", "guide", "answer_type", "weight"})
    errors += [DomainError(f"Unknown criterion field {u!r}.", field=f"criteria.{i}.{u}") for u in unknown]
    out: dict[str, Any] = {}
    for name, max_length, required in (("key", 50, True), ("label", 100, True), ("question", 500, False)):
        try:
            out[name] = _text(raw.get(name), f"criteria.{i}.{name}", max_length, required=required)
        except DomainError as exc:
            errors.append(exc)
    if out.get("key") and not _KEY_RE.match(out["key"]):
        errors.append(DomainError("Use lowercase letters, digits and _; start with a letter.",
                                  field=f"criteria.{i}.key"))
    guide = raw.get("guide") or []
    if not isinstance(guide, list) or len(guide) > 10 or not all(
            isinstance(g, str) and len(g) <= 300 and "\x00" not in g for g in guide):
        errors.append(DomainError("A list of up to 10 questions of at most 300 characters.", field=f"criteria.{i}.guide"))
    else:
        out["guide"] = [g.strip() for g in guide if g.strip()]
    answer_type = raw.get("answer_type") or "text"
    if answer_type not in ANSWER_TYPES:
        errors.append(DomainError(f"Choose one of {', '.join(ANSWER_TYPES)}.", field=f"criteria.{i}.answer_type",
                                  code="invalid_choice"))
    out["answer_type"] = answer_type
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal) or not 0 < weight <= 100:
        errors.append(DomainError("A number above 0 and at most 100.", field=f"criteria.{i}.weight"))
    else:
        out["weight"] = float(weight)
    return out, errors


def clean_criteria(raw: Any) -> list[dict[str, Any]]:
    """Validate a criteria list; every problem is reported with its index and attribute."""
    if not isinstance(raw, list) or not raw:
        raise DomainError("A framework needs at least one criterion.", field="criteria", code="required")
    if len(raw) > MAX_CRITERIA:
        raise DomainError(f"At most {MAX_CRITERIA} criteria.", field="criteria")
    cleaned, errors, seen = [], [], set()
    for i, item in enumerate(raw):
        criterion, item_errors = _criterion(item, i)
        errors += item_errors
        key = criterion.get("key")
        if key and key in seen:
            errors.append(DomainError(f"The key {key!r} is used twice.", field=f"criteria.{i}.key", code="duplicate"))
        seen.add(key)
        cleaned.append(criterion)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _unique_name(base: str) -> str:
    name, n = base, 2
    while Framework.objects.filter(name=name).exists():
        name, n = f"{base} ({n})", n + 1
    return name


@transaction.atomic
def do_create_framework(
    *, by: Any = None, template: str | None = None, name: str | None = None, description: str | None = None,
    criteria: list[dict[str, Any]] | None = None,
) -> Framework:
    """Copy a shipped template into an editable framework, or create one from `name` and `criteria`."""
    _check(by, "add", "framework")
    if template:
        if template not in TEMPLATES:
            raise DomainError(f"Unknown template; choose one of {', '.join(TEMPLATES)}.", field="template",
                              code="invalid_choice")
        shipped = TEMPLATES[template]
        name = _text(name, "name", 100) or _unique_name(shipped["name"])
        description = shipped["description"] if description is None else description
        criteria = template_criteria(template) if criteria is None else criteria
    framework = Framework(
        name=_text(name, "name", 100, required=True), template=template or "",
        description=_text(description, "description", 2000), criteria=clean_criteria(criteria),
    )
    full_clean(framework)
    framework.save()
    return framework


@transaction.atomic
def do_update_framework(*, by: Any = None, framework: Framework, changes: dict[str, Any]) -> Framework:
    """Rename, describe or edit the criteria; answers stay attached to criteria whose key is kept."""
    _check(by, "change", "framework", framework)
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = _text(changes["name"], "name", 100, required=True)
    if "description" in changes:
        changes["description"] = _text(changes["description"], "description", 2000)
    if "criteria" in changes:
        changes["criteria"] = clean_criteria(changes["criteria"])
    changed = apply_changes(framework, changes, ("name", "description", "criteria"))
    if "criteria" in changes and "criteria" not in changed:  # a caller may have edited the list in place
        changed.append("criteria")
    if changed:
        full_clean(framework)
        framework.save(update_fields=[*changed, "updated_at"])
    return framework


@transaction.atomic
def do_delete_framework(*, by: Any = None, framework: Framework) -> None:
    _check(by, "delete", "framework", framework)
    in_use = list(framework.pipeline_links.values_list("pipeline__name", flat=True))
    if in_use:
        raise Conflict(f"Pipelines {', '.join(in_use)} use this framework; choose another for them first.",
                       field="framework")
    framework.delete()


@transaction.atomic
def do_set_pipeline_framework(*, by: Any = None, pipeline: Pipeline, framework: Framework | None) -> None:
    """Choose the framework a pipeline's deals are qualified with (None: no qualification)."""
    _check(by, "change", "framework")
    if framework is None:
        PipelineFramework.objects.filter(pipeline=pipeline).delete()
        return
    PipelineFramework.objects.update_or_create(
        pipeline=pipeline, defaults={"framework": framework, "chosen_by": by, "chosen_at": timezone.now()},
    )


# --- qualification answers --------------------------------------------------------------------------------


def _check_value(value: str, answer_type: str, field: str) -> str:
    if not value:
        return value
    if answer_type == "amount":
        try:
            number = Decimal(value.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            raise DomainError(f"{value!r} is not an amount; write a number like 25000.", field=field) from None
        if not number.is_finite() or number < 0:
            raise DomainError("An amount is a number of 0 or more.", field=field)
    elif answer_type == "date" and parse_date(value) is None:
        raise DomainError(f"{value!r} is not a date; use YYYY-MM-DD.", field=field)
    elif answer_type == "yes_no":
        if value.lower() not in ("yes", "no"):
            raise DomainError("Answer yes or no.", field=field)
        return value.lower()
    return value


@transaction.atomic
def do_save_qualification(*, by: Any = None, deal: Deal, answers: list[dict[str, Any]]) -> list[DealQualification]:
    """Record answers ({"criterion", "value", "status"}) for a deal; criteria not named are left as they are.

    All or nothing: any bad answer refuses the whole save, each error naming `answers.<i>.<field>`.
    """
    _check(by, "change", "deal", deal)
    link = PipelineFramework.objects.select_related("framework").filter(pipeline_id=deal.pipeline_id).first()
    if link is None:
        raise DomainError("This deal's pipeline has no qualification framework; an admin chooses one first.",
                          field="framework", code="required")
    criteria = {c["key"]: c for c in link.framework.criteria}
    errors: list[DomainError] = []
    cleaned: dict[str, tuple[str, str]] = {}
    for i, answer in enumerate(answers):
        key = answer.get("criterion")
        if key not in criteria:
            errors.append(DomainError(f"{key!r} is not a criterion of {link.framework.name}.",
                                      field=f"answers.{i}.criterion", code="invalid_choice"))
            continue
        if key in cleaned:
            errors.append(DomainError(f"{key!r} is answered twice.", field=f"answers.{i}.criterion", code="duplicate"))
            continue
        status = answer.get("status") or AnswerStatus.UNKNOWN
        if status not in AnswerStatus.values:
            errors.append(DomainError("Choose unknown, partial or confirmed.", field=f"answers.{i}.status",
                                      code="invalid_choice"))
            continue
        try:
            value = _check_value(_text(answer.get("value"), f"answers.{i}.value", 2000),
                                 criteria[key]["answer_type"], f"answers.{i}.value")
        except DomainError as exc:
            errors.append(exc)
            continue
        cleaned[key] = (value, status)
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    existing = {a.criterion: a for a in DealQualification.objects.filter(deal=deal, criterion__in=list(cleaned))}
    saved = []
    for key, (value, status) in cleaned.items():
        row = existing.get(key)
        if row is None:
            row = DealQualification.objects.create(deal=deal, criterion=key, value=value, status=status,
                                                   updated_by=by, updated_at=now)
        elif (row.value, row.status) != (value, status):
            row.value, row.status, row.updated_by, row.updated_at = value, status, by, now
            row.save(update_fields=["value", "status", "updated_by", "updated_at"])
        saved.append(row)
    return saved


# --- objections -------------------------------------------------------------------------------------------


def _source_touchpoint(contact_ids: list[int], before: dt.datetime) -> Touchpoint | None:
    """The last campaign touchpoint of these contacts up to `before`, else their last touchpoint."""
    before_now = Touchpoint.objects.filter(contact_id__in=contact_ids, occurred_at__lte=before).order_by(
        "-occurred_at", "-id").select_related("campaign")
    return before_now.filter(campaign__isnull=False).first() or before_now.first()


@transaction.atomic
def do_log_objection(
    *, by: Any = None, category: str, verbatim: str, deal: Deal | None = None, contact: Contact | None = None,
    occurred_at: dt.datetime | None = None,
) -> Objection:
    """Log what a buyer objected to; stage, campaign, channel and segment are captured as they are now."""
    _check(by, "add", "objection")
    if deal is None and contact is None:
        raise DomainError("Log the objection on a deal or a contact.", field="contact", code="required")
    when = occurred_at or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError("An objection cannot be in the future.", field="occurred_at")
    contact_ids = [contact.pk] if contact else list(deal.deal_contacts.values_list("contact_id", flat=True))
    tp = _source_touchpoint(contact_ids, when) if contact_ids else None
    company = (deal.company if deal and deal.company_id else None) or (contact.company if contact else None)
    objection = Objection(
        deal=deal, contact=contact, category=category, verbatim=_text(verbatim, "verbatim", 2000, required=True),
        deal_stage=deal.stage.name if deal else "", lifecycle_stage=contact.lifecycle_stage if contact else "",
        campaign=tp.campaign if tp else None, channel=tp.channel if tp else "",
        segment=company.industry if company else "", logged_by=by, occurred_at=when,
    )
    full_clean(objection)
    objection.save()
    return objection


@transaction.atomic
def do_update_objection(*, by: Any = None, objection: Objection, changes: dict[str, Any]) -> Objection:
    """Record how an objection ended (outcome and note), or correct its category and wording."""
    _check(by, "change", "objection", objection)
    changes = dict(changes)
    if "verbatim" in changes:
        changes["verbatim"] = _text(changes["verbatim"], "verbatim", 2000, required=True)
    if "outcome_note" in changes:
        changes["outcome_note"] = _text(changes["outcome_note"], "outcome_note", 500)
    changed = apply_changes(objection, changes, ("outcome", "outcome_note", "category", "verbatim"))
    if changed:
        full_clean(objection)
        objection.save(update_fields=[*changed, "updated_at"])
    return objection


# --- messaging library ------------------------------------------------------------------------------------

MESSAGING_FIELDS = ("kind", "title", "body", "url", "funnel_stage", "persona", "objection_category")


def _check_item(item: MessagingItem) -> None:
    errors = []
    if item.kind == MessagingItem.Kind.OBJECTION_RESPONSE and not item.objection_category:
        errors.append(DomainError("A response answers one objection category.", field="objection_category",
                                  code="required"))
    if item.kind != MessagingItem.Kind.OBJECTION_RESPONSE and item.objection_category:
        errors.append(DomainError("Only objection responses have an objection category.", field="objection_category"))
    if item.persona_id is not None and (item.persona.kind != MessagingItem.Kind.PERSONA or item.persona_id == item.pk):
        errors.append(DomainError("Pick a persona from the library.", field="persona"))
    if item.kind == MessagingItem.Kind.PERSONA and item.persona_id is not None:
        errors.append(DomainError("A persona is not for another persona.", field="persona"))
    if errors:
        raise ValidationFailed(errors)
    full_clean(item)


@transaction.atomic
def do_create_messaging_item(*, by: Any = None, kind: str, title: str, **fields: Any) -> MessagingItem:
    _check(by, "add", "messaging")
    item = MessagingItem(owner=by)
    apply_changes(item, {"kind": kind, "title": (title or "").strip(), **fields}, MESSAGING_FIELDS)
    _check_item(item)
    item.save()
    return item


@transaction.atomic
def do_update_messaging_item(*, by: Any = None, item: MessagingItem, changes: dict[str, Any]) -> MessagingItem:
    _check(by, "change", "messaging", item)
    if isinstance(changes.get("title"), str):
        changes = {**changes, "title": changes["title"].strip()}
    changed = apply_changes(item, changes, MESSAGING_FIELDS)
    if changed:
        _check_item(item)
        item.save(update_fields=[*changed, "updated_at"])
    return item


@transaction.atomic
def do_delete_messaging_item(*, by: Any = None, item: MessagingItem) -> None:
    _check(by, "delete", "messaging", item)
    if not MessagingItem.objects.filter(pk=item.pk).exists():
        raise NotFound("No messaging item with this id.")
    item.delete()


def erase_contact_objections(contact_ids: list[int]) -> None:
    """Erasure (crm.hooks.register_eraser): what these contacts said, word for word, goes; the objections'
    categories and outcomes stay for the objection report."""
    Objection.objects.filter(contact_id__in=contact_ids).update(verbatim="[erased]", outcome_note="")
