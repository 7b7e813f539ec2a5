"""`plumbline contacts duplicates [--scan] [--threshold P]`, `contacts merge KEEP OTHER [--keep FIELD=other ...]`,
`contacts merges [--contact C]`, `contacts unmerge MERGE_ID`, `contacts erase C [--by ADMIN]`, `contacts export C`:
find likely duplicates, merge one contact into another, list merges, undo one; erase a contact's personal data,
export everything held about one (privacy rights).

Contacts are named by id or email. The merge keeps KEEP's values, except blanks (filled from OTHER) and the
fields named with --keep; an opt-out on either side is kept and the lifecycle stage is the further of the two.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.accounts.models import User
from plumbline.core.errors import DomainError
from plumbline.core.validation import normalize_email
from plumbline.crm import queries
from plumbline.crm.actions import do_erase_contact, do_merge_contacts, do_undo_merge
from plumbline.crm.actions.merges import MERGE_FIELDS
from plumbline.crm.hooks import duplicate_scanner
from plumbline.crm.models import Contact, ContactMerge, DuplicateScan
from plumbline.crm.privacy import privacy_export


def _contact(ref: str) -> Contact:
    found = Contact.objects.filter(pk=int(ref)).first() if ref.isdigit() else Contact.objects.filter(
        email=normalize_email(ref)).first()
    if found is None:
        raise CommandError(f"No contact {ref!r} (give an id or an email).")
    return found


def _choices(keeps: list[str]) -> dict[str, str]:
    choices = {}
    for item in keeps:
        name, _, side = item.partition("=")
        if not side:
            raise CommandError(f"--keep {item!r}: write FIELD=survivor or FIELD=other.")
        choices[name.strip()] = side.strip()
    return choices


class Command(BaseCommand):
    help = "Merge duplicate contacts, list merges, undo a merge."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        dups = sub.add_parser("duplicates", help="List the suggested duplicate pairs (after --scan: a new scan).")
        dups.add_argument("--scan", action="store_true", help="Compare every contact now and store the pairs.")
        dups.add_argument("--threshold", type=float, default=None, help="Lowest probability kept (default 0.5).")
        dups.add_argument("--limit", type=int, default=50, help="Pairs to list (0: none, after a scan).")
        merge = sub.add_parser("merge", help="Merge OTHER into KEEP (OTHER is removed; undo with unmerge).")
        merge.add_argument("keep", help="Id or email of the contact that stays.")
        merge.add_argument("other", help="Id or email of the duplicate that goes.")
        merge.add_argument("--keep", dest="keeps", action="append", default=[], metavar="FIELD=SIDE",
                           help=f"Whose value a field keeps: survivor or other. Fields: {', '.join(MERGE_FIELDS)}.")
        listing = sub.add_parser("merges", help="Past merges, newest first.")
        listing.add_argument("--contact", help="Only merges into, or of, this contact (id or email).")
        listing.add_argument("--limit", type=int, default=50)
        undo = sub.add_parser("unmerge", help="Undo a merge: the merged contact comes back with its rows.")
        undo.add_argument("merge_id", type=int)
        erase = sub.add_parser("erase", help="Erase a contact's personal data everywhere (kept anonymised).")
        erase.add_argument("contact", help="Id or email of the contact.")
        erase.add_argument("--by", help="Username of the admin who erases (recorded with the erasure).")
        export = sub.add_parser("export", help="Print everything held about a contact as one JSON document.")
        export.add_argument("contact", help="Id or email of the contact.")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            getattr(self, "_" + o["verb"])(o)
        except DomainError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None

    def _erase(self, o: dict[str, Any]) -> None:
        contact = _contact(o["contact"])
        by = None
        if o["by"]:
            by = User.objects.filter(username=o["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active user {o['by']!r}.")
        record = do_erase_contact(by=by, contact=contact)
        self.stdout.write(f"Erased contact {record.contact_id}: its personal data is removed everywhere, its "
                          f"history kept anonymised (erasure {record.pk}).")

    def _export(self, o: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(privacy_export(_contact(o["contact"])), indent=2, ensure_ascii=False))

    def _duplicates(self, o: dict[str, Any]) -> None:
        if o["threshold"] is not None and not 0 < o["threshold"] < 1:
            raise CommandError("--threshold is a probability between 0 and 1.")
        if o["scan"]:
            done = duplicate_scanner().scan(o["threshold"])
            self.stdout.write(f"Scanned {done.contacts} contacts in {done.model.get('seconds', 0)} s: "
                              f"{done.candidates} pairs compared, {done.found} likely duplicates.")
        pairs = list(queries.duplicate_pairs()[: o["limit"]])
        if not pairs and not (o["limit"] == 0 and queries.duplicate_pairs().exists()):
            self.stdout.write("No likely duplicates." if DuplicateScan.objects.exists() else
                              "No scan has run yet: plumbline contacts duplicates --scan")
        for pair in pairs:
            why = ", ".join(f"{label} {level} {weight:+.1f}" for label, level, weight in pair.why if level != "missing")
            self.stdout.write(f"{pair.probability:.3f}\t{pair.left.email} (id {pair.left_id})\t"
                              f"{pair.right.email} (id {pair.right_id})\t{why}")

    def _merge(self, o: dict[str, Any]) -> None:
        keep, other = _contact(o["keep"]), _contact(o["other"])
        merge = do_merge_contacts(survivor=keep, other=other, fields=_choices(o["keeps"]))
        kept = Contact.objects.get(pk=keep.pk)
        self.stdout.write(f"Merged {merge.merged_email} (id {merge.merged_id}) into {kept.email} (id {kept.pk}): "
                          f"{merge.moved_count} rows moved. Undo with: plumbline contacts unmerge {merge.pk}")

    def _merges(self, o: dict[str, Any]) -> None:
        contact_id = _contact(o["contact"]).pk if o.get("contact") else None
        rows = list(queries.merges(contact_id=contact_id)[: o["limit"]])
        if not rows:
            self.stdout.write("No merges.")
        for m in rows:
            state = f"undone {m.undone_at:%Y-%m-%d %H:%M}" if m.undone_at else "active"
            self.stdout.write(f"{m.pk}\t{m.merged_at:%Y-%m-%d %H:%M}\t{m.merged_email} (id {m.merged_id}) into "
                              f"contact {m.survivor_id}\t{m.moved_count} rows\t{state}")

    def _unmerge(self, o: dict[str, Any]) -> None:
        merge = ContactMerge.objects.filter(pk=o["merge_id"]).first()
        if merge is None:
            raise CommandError(f"No merge with id {o['merge_id']}.")
        restored = do_undo_merge(merge=merge)
        self.stdout.write(f"Merge {merge.pk} undone: {restored.email} (id {restored.pk}) is back.")
