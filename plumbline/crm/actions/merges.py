"""Merging two contacts into one, and undoing a merge.

A merge keeps one contact (the survivor) and re-points every row that belongs to the other (touchpoints,
activities, lifecycle history, deal roles, assignments, objections, score history) to it. The
other contact is deleted, but the merge record keeps it whole (Django's serializer), the ids of every row that
moved, the rows that could not move, and each survivor field the merge changed. Undo recreates the contact with
its own id, moves its rows back and restores the survivor's fields that nobody changed since.

The related tables are found from the model, not listed here, so a table added later moves too. One-to-one rows
(the stored first touch, the current score) are derived from the rows that move: they are rebuilt, not moved, by
the apps that own them (marketing, scoring), which read `contact.merged` and `contact.unmerged` from the feed.
A row whose move would break a unique constraint is dropped when it is a deal role the survivor already holds
(the survivor's role wins); any other such clash refuses the merge with the reason.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.core import serializers
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError
from plumbline.core.permissions import check
from plumbline.core.validation import full_clean
from plumbline.crm.actions.contacts import emit_lifecycle_changed
from plumbline.crm.hooks import merge_steps
from plumbline.crm.models import Contact, ContactMerge, LifecycleStage, LifecycleTransition
from plumbline.events.actions import emit

# The fields a user picks a side for; `custom` is merged key by key (the survivor's values win).
MERGE_FIELDS = ("email", "first_name", "last_name", "title", "phone", "company", "owner", "source", "consent_status")
SIDES = ("survivor", "other")
# How far along the lifecycle each stage is: the merged contact keeps the furthest of the two.
STAGE_RANK = {
    LifecycleStage.DISQUALIFIED: 0, LifecycleStage.SUBSCRIBER: 1, LifecycleStage.LEAD: 2, LifecycleStage.MQL: 3,
    LifecycleStage.SAL: 4, LifecycleStage.SQL: 5, LifecycleStage.OPPORTUNITY: 6, LifecycleStage.PAST_CUSTOMER: 7,
    LifecycleStage.CUSTOMER: 8, LifecycleStage.EVANGELIST: 9,
}
# Rows that may be dropped when the survivor already has their twin: a deal role (the survivor's stays).
DROPPABLE = {"crm.dealcontact"}
# Rows derived from contacts that go with the removed one and come back from their own process: suggested
# duplicate pairs (the next scan).
DERIVED = {"crm.duplicatepair"}
OPTED_OUT = "opted_out"


def related_tables() -> list[models.ManyToOneRel]:
    """Every table whose rows belong to a contact through a foreign key, hidden ones included; one-to-ones and
    DERIVED tables are rebuilt, not moved."""
    return [rel for rel in Contact._meta.get_fields(include_hidden=True)
            if rel.auto_created and not rel.concrete and rel.one_to_many
            and _label(rel.related_model) not in DERIVED]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _dump(rows: list[models.Model]) -> list[dict[str, Any]]:
    return [_jsonable(row) for row in serializers.serialize("python", rows)]


def _jsonable(value: Any) -> Any:
    """JSON for a field value, exact to the microsecond (Django's encoder keeps milliseconds)."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _values(contact: Contact) -> dict[str, Any]:
    return {f.attname: _jsonable(f.value_from_object(contact)) for f in Contact._meta.concrete_fields}


def merge_preview(survivor: Contact, other: Contact) -> dict[str, Any]:
    """What a merge would keep, field by field, with the default side for each; for the confirmation page."""
    rows = []
    for name in MERGE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        rows.append({"field": name, "survivor": mine, "other": theirs, "same": mine == theirs,
                     "default": _default_side(name, mine, theirs)})
    return {"fields": rows, "lifecycle_stage": _stage(survivor.lifecycle_stage, other.lifecycle_stage),
            "counts": {_label(rel.related_model): rel.related_model.objects.filter(**{rel.field.name: other}).count()
                       for rel in related_tables()}}


def _default_side(name: str, mine: Any, theirs: Any) -> str:
    if name == "consent_status":
        return "other" if theirs == OPTED_OUT or (mine == "unknown" and theirs != "unknown") else "survivor"
    return "survivor" if mine not in ("", None) or theirs in ("", None) else "other"


def _stage(mine: str, theirs: str) -> str:
    return theirs if STAGE_RANK.get(theirs, 0) > STAGE_RANK.get(mine, 0) else mine


def _clean_choices(choices: dict[str, str] | None) -> dict[str, str]:
    choices = dict(choices or {})
    for name, side in choices.items():
        if name not in MERGE_FIELDS:
            raise DomainError(f"{name!r} is not a field a merge chooses; pick from {', '.join(MERGE_FIELDS)}.",
                              field="fields")
        if side not in SIDES:
            raise DomainError(f"Keep {name} from 'survivor' or 'other', not {side!r}.", field=f"fields.{name}")
    return choices


def _clashes(rel: models.ManyToOneRel, survivor: Contact, other: Contact) -> list[models.Model]:
    """Rows of `other` that would break one of the table's unique constraints once they belong to the survivor."""
    model, fk = rel.related_model, rel.field
    clashing: dict[int, models.Model] = {}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint) or fk.name not in constraint.fields:
            continue
        rest = [name for name in constraint.fields if name != fk.name]
        theirs = model.objects.filter(**{fk.name: other})
        ours = model.objects.filter(**{fk.name: survivor})
        if constraint.condition is not None:
            theirs, ours = theirs.filter(constraint.condition), ours.filter(constraint.condition)
        keys = set(ours.values_list(*rest)) if rest else ({()} if ours.exists() else set())
        attnames = [model._meta.get_field(name).attname for name in rest]
        for row in theirs:
            if tuple(getattr(row, a) for a in attnames) in keys:
                if _label(model) not in DROPPABLE:
                    raise Conflict(
                        f"Both contacts have a {model._meta.verbose_name} that only one contact may have "
                        f"({constraint.name}); settle one of them first.", field="other")
                clashing[row.pk] = row
    return list(clashing.values())


@transaction.atomic
def do_merge_contacts(
    *, by: Any = None, survivor: Contact, other: Contact, fields: dict[str, str] | None = None,
) -> ContactMerge:
    """Merge `other` into `survivor`. `fields` picks, per field, whose value is kept ("survivor" or "other");
    unpicked fields keep the survivor's value unless it is blank. An opt-out on either side is always kept, and
    the lifecycle stage is the furthest of the two."""
    check(by, "change", "contact", survivor)
    check(by, "delete", "contact", other)
    if survivor.pk == other.pk:
        raise DomainError("A contact cannot be merged into itself.", field="other")
    choices = _clean_choices(fields)
    locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk]).order_by("pk")}
    if len(locked) != 2:
        raise Conflict("One of the contacts no longer exists.", field="other")
    survivor, other = locked[survivor.pk], locked[other.pk]
    now = timezone.now()
    snapshot = _dump([other])[0]
    for step in merge_steps():  # e.g. consent keeps the narrower consent of the two on its ledger
        step(survivor, other, by, now)
    moved: dict[str, list[int]] = {}
    dropped: list[dict[str, Any]] = []
    for rel in related_tables():
        clashing = _clashes(rel, survivor, other)
        if clashing:
            dropped += _dump(clashing)
            rel.related_model.objects.filter(pk__in=[row.pk for row in clashing]).delete()
        rows = rel.related_model.objects.filter(**{rel.field.name: other})
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            rows.update(**{rel.field.name: survivor})
            moved[_label(rel.related_model)] = ids
    before = _values(survivor)
    _apply(survivor, other, choices)
    stage = _stage(survivor.lifecycle_stage, other.lifecycle_stage)
    other.delete()  # frees its email for the survivor; its one-to-one rows go with it
    transition = None
    if stage != survivor.lifecycle_stage:
        transition = LifecycleTransition.objects.create(
            contact=survivor, from_stage=survivor.lifecycle_stage, to_stage=stage, occurred_at=now, by=by,
            reason=f"Merged with {other.email}", source="merge")
        survivor.lifecycle_stage, survivor.lifecycle_changed_at = stage, now
    full_clean(survivor)
    survivor.save()
    Contact.objects.filter(pk=survivor.pk).update(created_at=min(survivor.created_at, other.created_at))
    survivor.refresh_from_db()
    after = _values(survivor)
    changes = {name: [before[name], after[name]] for name in after
               if before[name] != after[name] and name != "updated_at"}
    merge = ContactMerge.objects.create(
        survivor_id=survivor.pk, merged_id=snapshot["pk"], merged_email=other.email, merged=snapshot, moved=moved,
        dropped=dropped, changes=changes, by=by, merged_at=now)
    # What derives from the moved rows (first touches, scores) is rebuilt by the apps that own it, from this event.
    if transition is not None:
        emit_lifecycle_changed(transition, actor=by)
    emit(kind="contact.merged", subject=survivor, actor=by, occurred_at=now, payload={
        "merge_id": merge.pk, "merged_id": merge.merged_id, "fields": sorted(changes),
        "moved": {label: len(ids) for label, ids in moved.items()},
    })
    return merge


def _apply(survivor: Contact, other: Contact, choices: dict[str, str]) -> None:
    for name in MERGE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        side = choices.get(name) or _default_side(name, mine, theirs)
        setattr(survivor, name, theirs if side == "other" else mine)
    if OPTED_OUT in (survivor.consent_status, other.consent_status):
        survivor.consent_status = OPTED_OUT  # an opt-out is never lost in a merge
    survivor.custom = {**{k: v for k, v in (other.custom or {}).items() if v not in ("", None)},
                       **{k: v for k, v in (survivor.custom or {}).items() if v not in ("", None)}}


@transaction.atomic
def do_undo_merge(*, by: Any = None, merge: ContactMerge) -> Contact:
    """Recreate the merged contact with its id and fields, move its rows back from the survivor (those still
    there), restore its dropped deal roles, and give the survivor back each field the merge changed and nobody
    has changed since. Returns the recreated contact."""
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict("This merge was already undone.", field="merge")
    survivor = Contact.objects.select_for_update().filter(pk=merge.survivor_id).first()
    if survivor is None:
        later = ContactMerge.objects.filter(merged_id=merge.survivor_id, undone_at=None).order_by("-merged_at").first()
        raise Conflict(
            f"Contact {merge.survivor_id} is gone"
            + (f": it was merged into contact {later.survivor_id}; undo that merge first." if later else "."),
            field="merge")
    check(by, "change", "contact", survivor)
    check(by, "add", "contact")
    if Contact.objects.filter(pk=merge.merged_id).exists():
        raise Conflict(f"Contact {merge.merged_id} exists again; nothing to restore.", field="merge")
    back = _restore_survivor(survivor, merge)
    if Contact.objects.filter(email=merge.merged_email).exists():
        raise Conflict(f"A contact with email {merge.merged_email} exists now; merge or change it first.",
                       field="email")
    restored = _recreate(merge.merged)
    for label, ids in merge.moved.items():
        rel = next((r for r in related_tables() if _label(r.related_model) == label), None)
        if rel is not None:  # a table removed since has nothing to move back
            rel.related_model.objects.filter(pk__in=ids, **{rel.field.name: survivor}).update(
                **{rel.field.name: restored})
    for row in merge.dropped:
        _restore_row(row)
    merge.undone_at, merge.undone_by = timezone.now(), by
    merge.save(update_fields=["undone_at", "undone_by"])
    if back is not None:
        emit_lifecycle_changed(back, actor=by)
    emit(kind="contact.unmerged", subject=survivor, actor=by, occurred_at=merge.undone_at, payload={
        "merge_id": merge.pk, "restored_id": restored.pk, "fields": sorted(merge.changes),
    })
    return restored


def _restore_survivor(survivor: Contact, merge: ContactMerge) -> LifecycleTransition | None:
    """Give the survivor back the fields the merge changed and nobody changed since; returns the lifecycle move
    back, if the stage was among them."""
    fields = {f.attname: f for f in Contact._meta.concrete_fields}
    restored = []
    for name, (was, became) in merge.changes.items():
        field = fields[name]
        if _jsonable(field.value_from_object(survivor)) != became:
            continue  # changed again since the merge: the later change stands
        setattr(survivor, field.attname, field.to_python(was))
        restored.append(field.name)
    back = None
    if "lifecycle_stage" in restored:
        back = LifecycleTransition.objects.create(
            contact=survivor, from_stage=merge.changes["lifecycle_stage"][1], to_stage=survivor.lifecycle_stage,
            occurred_at=timezone.now(), reason=f"Merge with {merge.merged_email} undone", source="merge")
    if restored:
        survivor.save(update_fields=[*restored, "updated_at"])
    return back


def _recreate(snapshot: dict[str, Any]) -> Contact:
    """The merged contact as it was, with its id; a company or owner deleted since is left empty."""
    (obj,) = serializers.deserialize("python", [snapshot], ignorenonexistent=True)
    contact: Contact = obj.object
    created = contact.created_at  # saving a new row stamps it with now
    for field in _gone_targets(contact):
        setattr(contact, field.attname, None)
    contact.save(force_insert=True)
    Contact.objects.filter(pk=contact.pk).update(created_at=created)
    contact.created_at = created
    return contact


def _gone_targets(instance: models.Model) -> list[models.Field]:
    """The foreign keys of a restored row whose target was deleted since the merge."""
    return [field for field in instance._meta.concrete_fields
            if field.is_relation and getattr(instance, field.attname) is not None
            and not field.related_model.objects.filter(pk=getattr(instance, field.attname)).exists()]


def _restore_row(row: dict[str, Any]) -> None:
    """A dropped deal role back on its deal, unless the deal is gone or the role exists again."""
    (obj,) = serializers.deserialize("python", [row], ignorenonexistent=True)
    instance = obj.object
    if _gone_targets(instance) or type(instance).objects.filter(pk=instance.pk).exists():
        return
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError:  # the same role was added again since: nothing to restore
        return
