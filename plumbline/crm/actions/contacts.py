"""Contact writes and lifecycle moves."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError
from plumbline.core.permissions import check, check_owner, default_owner
from plumbline.core.validation import apply_changes, email_domain, full_clean, normalize_email
from plumbline.crm.custom_fields import clean_custom
from plumbline.crm.lifecycle import needs_reason, refusal
from plumbline.crm.models import Company, Contact, LifecycleStage, LifecycleTransition
from plumbline.events.actions import emit

CONTACT_FIELDS = (
    "email", "first_name", "last_name", "title", "phone", "company", "owner", "source", "consent_status", "custom",
)


def company_for_email(email: str) -> Company | None:
    return Company.objects.filter(domain=email_domain(email)).first()


def _prepare(changes: dict[str, Any]) -> dict[str, Any]:
    changes = dict(changes)
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
    for key in ("first_name", "last_name", "title", "phone", "source"):
        if key in changes:
            changes[key] = (changes[key] or "").strip()
    return changes


@transaction.atomic
def do_create_contact(
    *,
    by: Any = None,
    lifecycle_stage: str = LifecycleStage.SUBSCRIBER,
    transition_source: str = "manual",
    **fields: Any,
) -> Contact:
    """Create a contact; links it to the company of its email domain unless a company is given."""
    check(by, "add", "contact")
    fields = _prepare(fields)
    if lifecycle_stage not in LifecycleStage.values:
        raise DomainError(f"Unknown lifecycle stage {lifecycle_stage!r}.", field="lifecycle_stage")
    if Contact.objects.filter(email=fields.get("email")).exists():
        raise Conflict(f"A contact with email {fields['email']} already exists.", field="email")
    fields["owner"] = default_owner(by, fields.get("owner"))
    check_owner(by, "contact", fields["owner"])
    if fields.get("company") is None and fields.get("email"):
        fields["company"] = company_for_email(fields["email"])
    fields["custom"] = clean_custom("contact", fields.get("custom"))
    now = timezone.now()
    contact = Contact(lifecycle_stage=lifecycle_stage, lifecycle_changed_at=now)
    apply_changes(contact, fields, CONTACT_FIELDS)
    full_clean(contact)
    contact.save()
    LifecycleTransition.objects.create(
        contact=contact, from_stage="", to_stage=lifecycle_stage, occurred_at=now, by=by,
        reason="Created", source=transition_source,
    )
    emit(kind="contact.created", subject=contact, actor=by, occurred_at=now, payload={
        "stage": lifecycle_stage, "company_id": contact.company_id, "owner_id": contact.owner_id,
        "source": transition_source,
    })
    return contact


@transaction.atomic
def do_update_contact(*, by: Any = None, contact: Contact, changes: dict[str, Any]) -> Contact:
    """Change contact fields. The lifecycle stage has its own action, `do_change_lifecycle`."""
    check(by, "change", "contact", contact)
    if "lifecycle_stage" in changes:
        raise DomainError("Change the lifecycle stage with its own action.", field="lifecycle_stage")
    changes = _prepare(changes)
    if "owner" in changes:
        check_owner(by, "contact", changes["owner"], current=contact.owner_id)
    if "email" in changes and changes["email"] != contact.email:
        if Contact.objects.filter(email=changes["email"]).exclude(pk=contact.pk).exists():
            raise Conflict(f"A contact with email {changes['email']} already exists.", field="email")
    if "custom" in changes:
        changes["custom"] = clean_custom("contact", changes["custom"], current=contact.custom)
    changed = apply_changes(contact, changes, CONTACT_FIELDS)
    if changed:
        full_clean(contact)
        contact.save(update_fields=[*changed, "updated_at"])
        # The names of the fields, not their values: whoever cares (scoring's fit) reads the contact.
        emit(kind="contact.updated", subject=contact, actor=by, payload={"fields": sorted(changed)})
    return contact


@transaction.atomic
def do_delete_contact(*, by: Any = None, contact: Contact) -> None:
    """Delete a contact and everything that belongs to it (`contact.erased`: consumers forget it too)."""
    check(by, "delete", "contact", contact)
    pk = contact.pk
    contact.delete()
    emit(kind="contact.erased", subject=("contact", pk), actor=by)


@transaction.atomic
def do_change_lifecycle(
    *,
    by: Any = None,
    contact: Contact,
    to_stage: str,
    reason: str = "",
    source: str = "manual",
    definition_version: int | None = None,
    occurred_at: Any = None,
) -> LifecycleTransition:
    """Move a contact to another lifecycle stage, refusing moves that make no sense."""
    check(by, "change", "contact", contact)
    # Lock the row so two concurrent moves cannot both start from the same stage (no_key: inserts that refer to
    # the contact, such as touchpoints, need not wait for it).
    locked = Contact.objects.select_for_update(no_key=True).get(pk=contact.pk)
    contact.lifecycle_stage = locked.lifecycle_stage
    why_not = refusal(contact.lifecycle_stage, to_stage)
    if why_not:
        raise DomainError(why_not, field="lifecycle_stage", code="illegal_move")
    reason = (reason or "").strip()
    if needs_reason(contact.lifecycle_stage, to_stage) and not reason:
        raise DomainError("Say why: this move needs a reason.", field="reason", code="required")
    if len(reason) > 500:
        raise DomainError("Reason is longer than 500 characters.", field="reason", code="max_length")
    when = occurred_at or timezone.now()
    transition = LifecycleTransition.objects.create(
        contact=contact, from_stage=contact.lifecycle_stage, to_stage=to_stage, occurred_at=when, by=by,
        reason=reason, source=source, definition_version=definition_version,
    )
    Contact.objects.filter(pk=contact.pk).update(lifecycle_stage=to_stage, lifecycle_changed_at=when, updated_at=when)
    contact.lifecycle_stage, contact.lifecycle_changed_at = to_stage, when
    emit_lifecycle_changed(transition, actor=by)
    return transition


def emit_lifecycle_changed(transition: LifecycleTransition, *, actor: Any = None) -> None:
    emit(kind="lifecycle.changed", subject=("contact", transition.contact_id), actor=actor,
         occurred_at=transition.occurred_at, payload={
             "from": transition.from_stage, "to": transition.to_stage, "reason": transition.reason,
             "source": transition.source, "definition_version": transition.definition_version,
             "transition_id": transition.pk,
         })
