"""Every write of segments: create, change and delete them, keep static lists by hand or by import, take snapshots,
and evaluate dynamic segments. Memberships are written by plumbline.segments.evaluation (history rows, events,
counts with them).

A new or changed dynamic segment is evaluated in the same request when there are at most INLINE_LIMIT contacts;
above that its evaluation is queued (`tasks.refresh_segment`) so that the request does not wait for a million
rows, and `evaluated_at` stays empty (or old) until the worker has run it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, MissingReferences, NotFound
from plumbline.core.permissions import check
from plumbline.core.validation import full_clean
from plumbline.crm.models import Contact
from plumbline.segments import evaluation
from plumbline.segments.models import Kind, Membership, Reason, Segment
from plumbline.segments.predicate.schema import PredicateInvalid, parse
from plumbline.segments.references import check_references, referenced_segments, referring
from plumbline.segments.tasks import refresh_segment

INLINE_LIMIT = 20_000  # contacts: at most this many, a new or changed segment is evaluated in the request
MAX_IDS = 10_000  # contact ids per add or remove
MAX_IMPORT_ROWS = 200_000


class Invalid(DomainError):
    """Well-formed input the segment refuses (a static list given conditions): 422 naming the field."""

    status = 422


def _clean_name(name: str | None, *, segment: Segment | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("A segment needs a name.", field="name", code="required")
    if len(name) > 200:
        raise Invalid("A segment's name has at most 200 characters.", field="name", code="max_length")
    if Segment.objects.filter(name=name).exclude(pk=getattr(segment, "pk", None)).exists():
        raise Conflict(f"There is already a segment named {name!r}.", field="name")
    return name


def _clean_predicate(raw: Any, *, segment_id: int | None) -> dict[str, Any]:
    """The predicate's JSON form as stored (with its version), or PredicateInvalid (422) naming each error's path:
    the language's own checks, then the segments it names (they exist; no cycle)."""
    if raw is None:
        raise PredicateInvalid(
            [DomainError("A dynamic segment needs conditions.", field="$", code="required")]
        )
    parsed = parse(raw)
    check_references(segment_id, referenced_segments(parsed, raw), raw)
    return parsed.to_json()


def _require_kind(segment: Segment, kind: str, doing: str) -> None:
    """What only one kind of segment does, asked of another: a conflict with the segment as it is (409)."""
    if segment.kind != kind:
        raise Conflict(
            f"Only a {Kind(kind).label.lower()} can {doing}; {segment.name!r} is a "
            f"{segment.get_kind_display().lower()}.",
            field="kind",
        )


def _evaluate_soon(segment: Segment) -> None:
    """Evaluate now when the population is small, else queue it (committed with the change)."""
    if Contact.objects.count() <= INLINE_LIMIT:
        evaluation.refresh(segment)
    else:
        refresh_segment.enqueue(segment.pk)


@transaction.atomic
def do_create_segment(
    *,
    by: Any = None,
    name: str,
    kind: str = Kind.DYNAMIC,
    predicate: dict[str, Any] | None = None,
    description: str = "",
) -> Segment:
    """A dynamic segment (with its predicate, evaluated at once or queued) or an empty static list. Snapshots are
    taken of a segment (`do_snapshot`)."""
    check(by, "add", "segment")
    if kind not in (Kind.DYNAMIC, Kind.STATIC):
        raise Invalid(
            "A segment is dynamic or a static list; a snapshot is taken of another segment.",
            field="kind",
            code="invalid_choice",
        )
    segment = Segment(name=_clean_name(name), description=(description or "").strip(), kind=kind, owner=by)
    if kind == Kind.DYNAMIC:
        segment.predicate = _clean_predicate(predicate, segment_id=None)
    elif predicate is not None:
        raise Invalid("A static list has no conditions: add contacts to it instead.", field="predicate")
    full_clean(segment)
    segment.save()
    if kind == Kind.DYNAMIC:
        _evaluate_soon(segment)
    return segment


@transaction.atomic
def do_update_segment(
    *,
    by: Any = None,
    segment: Segment,
    name: str | None = None,
    description: str | None = None,
    predicate: dict[str, Any] | None = None,
) -> Segment:
    """Rename, describe, or change a dynamic segment's predicate: a different predicate bumps `predicate_version`
    and re-evaluates (at once or queued). The kind never changes."""
    check(by, "change", "segment", segment)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    fields = []
    if name is not None:
        segment.name = _clean_name(name, segment=segment)
        fields.append("name")
    if description is not None:
        segment.description = description.strip()
        fields.append("description")
    changed_rule = False
    if predicate is not None:
        _require_kind(segment, Kind.DYNAMIC, "have its conditions changed")
        cleaned = _clean_predicate(predicate, segment_id=segment.pk)
        if cleaned != segment.predicate:
            segment.predicate, segment.predicate_version = cleaned, segment.predicate_version + 1
            fields += ["predicate", "predicate_version"]
            changed_rule = True
    if fields:
        full_clean(segment)
        segment.save(update_fields=[*fields, "updated_at"])
    if changed_rule:
        _evaluate_soon(segment)
    return segment


@transaction.atomic
def do_delete_segment(*, by: Any = None, segment: Segment) -> None:
    """Delete a segment with its memberships and history; refused while another segment's predicate refers to it.
    Snapshots taken of it stay (they lose their source)."""
    check(by, "delete", "segment", segment)
    users = referring(segment.pk)
    if users:
        names = ", ".join(
            Segment.objects.filter(pk__in=users).order_by("name").values_list("name", flat=True)
        )
        raise Conflict(
            f"{names} refer{'s' if len(users) == 1 else ''} to this segment: change "
            f"{'it' if len(users) == 1 else 'them'} first.",
            field="segment",
        )
    segment.delete()


def _contact_ids(contact_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(pk) for pk in contact_ids})
    if not ids:
        raise Invalid("Name at least one contact.", field="contact_ids", code="required")
    if len(ids) > MAX_IDS:
        raise Invalid(f"At most {MAX_IDS} contacts at a time.", field="contact_ids", code="max_length")
    return ids


@dataclass
class ListChange:
    """What an add, remove or import did: contacts that entered (or left), those that were in (or out) already,
    and for an import the rows that named no contact."""

    changed: int
    unchanged: int
    unknown: list[str] = field(default_factory=list)


@transaction.atomic
def do_add_to_list(*, by: Any = None, segment: Segment, contact_ids: Iterable[int]) -> ListChange:
    """Add contacts to a static list; ids naming no contact are refused (422), those already in are skipped."""
    check(by, "change", "segment", segment)
    _require_kind(segment, Kind.STATIC, "have contacts added by hand")
    ids = _contact_ids(contact_ids)
    missing = sorted(set(ids) - set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True)))
    if missing:
        raise MissingReferences(
            [
                DomainError(f"No contact with id {pk}.", field="contact_ids", code="does_not_exist")
                for pk in missing[:20]
            ]
        )
    entered, _ = evaluation.write_changes(
        segment, enter=ids, reason_in=Reason.ADDED, reason_out=Reason.REMOVED, by=by
    )
    return ListChange(entered, len(ids) - entered)


@transaction.atomic
def do_remove_from_list(*, by: Any = None, segment: Segment, contact_ids: Iterable[int]) -> ListChange:
    """Remove contacts from a static list; those not in it are skipped."""
    check(by, "change", "segment", segment)
    _require_kind(segment, Kind.STATIC, "have contacts removed by hand")
    ids = _contact_ids(contact_ids)
    _, left = evaluation.write_changes(
        segment, leave=ids, reason_in=Reason.ADDED, reason_out=Reason.REMOVED, by=by
    )
    return ListChange(left, len(ids) - left)


def _emails_of(rows: Iterable[str] | None, file: IO[Any] | None) -> list[str]:
    """Emails from plain rows, or from a file: one email a line, or a CSV whose `email` column (else its first
    column) holds them. Blank lines and a header row are skipped."""
    if file is not None:
        data = file.read()
        text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
        table = list(csv.reader(io.StringIO(text)))
        column = 0
        if table and any(cell.strip().lower() == "email" for cell in table[0]):
            column = [cell.strip().lower() for cell in table[0]].index("email")
            table = table[1:]
        rows = [row[column] if len(row) > column else "" for row in table]
    out = [str(r).strip().lower() for r in rows or ()]
    return [e for e in out if e and e != "email"]


@transaction.atomic
def do_import_list(
    *, by: Any = None, segment: Segment, rows: Iterable[str] | None = None, file: IO[Any] | None = None
) -> ListChange:
    """Add to a static list the contacts whose email is in `rows` (or in the CSV or text `file`); emails naming no
    contact are reported back (`unknown`), not created."""
    check(by, "change", "segment", segment)
    _require_kind(segment, Kind.STATIC, "import contacts")
    emails = list(dict.fromkeys(_emails_of(rows, file)))
    if not emails:
        raise Invalid("The import names no email.", field="file", code="required")
    if len(emails) > MAX_IMPORT_ROWS:
        raise Invalid(f"At most {MAX_IMPORT_ROWS} emails per import.", field="file", code="max_length")
    found: dict[str, int] = {}
    for start in range(0, len(emails), 5000):
        found.update(
            Contact.objects.filter(email__in=emails[start : start + 5000]).values_list("email", "pk")
        )
    entered, _ = evaluation.write_changes(
        segment, enter=found.values(), reason_in=Reason.IMPORTED, reason_out=Reason.REMOVED, by=by
    )
    return ListChange(entered, len(found) - entered, [e for e in emails if e not in found])


def do_snapshot(*, by: Any = None, segment: Segment, name: str, now: dt.datetime | None = None) -> Segment:
    """A new snapshot segment holding the source's members now (with its predicate kept for the record). One
    transaction when the source has at most INLINE_LIMIT members; a bigger copy is written in short chunks."""
    check(by, "add", "segment")
    now = now or timezone.now()
    small = segment.member_count <= INLINE_LIMIT
    with transaction.atomic() if small else contextlib.nullcontext():
        with transaction.atomic():
            snapshot = Segment(
                name=_clean_name(name),
                kind=Kind.SNAPSHOT,
                predicate=segment.predicate,
                source=segment,
                snapshot_at=now,
                owner=by,
                description=f"Members of {segment.name} at {now:%Y-%m-%d %H:%M} UTC.",
            )
            full_clean(snapshot)
            snapshot.save()
        ids = list(Membership.objects.filter(segment=segment).values_list("contact_id", flat=True))
        evaluation.write_changes(
            snapshot, enter=ids, reason_in=Reason.SNAPSHOT, reason_out=Reason.REMOVED, by=by, now=now
        )
    snapshot.refresh_from_db()
    return snapshot


def do_refresh_segment(
    *, segment: Segment, now: dt.datetime | None = None, by: Any = None
) -> tuple[int, int]:
    """Evaluate a dynamic segment over every contact (set-based; the writes in short chunks): returns (entered,
    left). Static lists and snapshots are never evaluated."""
    check(by, "change", "segment", segment)
    if not Segment.objects.filter(pk=segment.pk).exists():
        raise NotFound(f"No segment with id {segment.pk}.")
    _require_kind(segment, Kind.DYNAMIC, "be evaluated")
    return evaluation.refresh(segment, now=now)


def do_request_refresh(*, by: Any = None, segment: Segment) -> tuple[int, int] | None:
    """A refresh asked for by a person: run at once when there are at most INLINE_LIMIT contacts ((entered,
    left)), else queued for the worker (None)."""
    check(by, "change", "segment", segment)
    _require_kind(segment, Kind.DYNAMIC, "be evaluated")
    if Contact.objects.count() <= INLINE_LIMIT:
        return evaluation.refresh(segment)
    with transaction.atomic():
        refresh_segment.enqueue(segment.pk)
    return None
