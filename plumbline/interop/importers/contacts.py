"""Contacts: upserted by normalised email; may link or create their company; stage changes are recorded."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from plumbline.core import bulk
from plumbline.core.errors import DomainError
from plumbline.core.validation import email_domain, normalize_email
from plumbline.crm.lifecycle import needs_reason, refusal
from plumbline.crm.models import ConsentStatus, Contact, LifecycleStage, LifecycleTransition
from plumbline.interop.importers.base import CompanyResolver, ImportReport, Row

TEXT_FIELDS = ("first_name", "last_name", "title", "phone", "source")
CONSENT = tuple(ConsentStatus.values)  # computed once: `.values` builds a new list on every access
STAGES = tuple(LifecycleStage.values)


class ContactImporter:
    kind = "contacts"
    resource = "contact"
    fields = ("email", "first_name", "last_name", "title", "phone", "company_domain", "company_name", "owner",
              "source", "consent_status", "lifecycle_stage", "lifecycle_reason")
    required = ("email",)
    aliases = {
        "e_mail": "email", "email_address": "email", "mail": "email", "first": "first_name", "firstname": "first_name",
        "given_name": "first_name", "last": "last_name", "lastname": "last_name", "surname": "last_name",
        "family_name": "last_name", "job_title": "title", "position": "title", "telephone": "phone",
        "phone_number": "phone", "mobile": "phone", "company": "company_name", "organization": "company_name",
        "organisation": "company_name", "account": "company_name", "website": "company_domain",
        "domain": "company_domain", "company_website": "company_domain", "stage": "lifecycle_stage",
        "lifecycle": "lifecycle_stage", "consent": "consent_status", "lead_source": "source",
        "owner_username": "owner",
    }

    def __init__(self, *, by: Any, users: dict[str, Any], filename: str) -> None:
        self.by, self.users = by, users
        self.reason = f"Imported from {filename}"[:500] if filename else "Imported"
        self.companies = CompanyResolver()
        self.lines: dict[str, int] = {}  # email -> the line it first appears on

    def clean(self, row: Row) -> dict[str, Any] | None:
        data: dict[str, Any] = {}
        try:
            data["email"] = normalize_email(row.get("email"))
        except DomainError as exc:
            row.error("email", exc.message)
        else:
            first = self.lines.setdefault(data["email"], row.line)
            if first != row.line:
                row.error("email", f"{data['email']} is also on line {first}; a file may hold each contact once.")
        for name in TEXT_FIELDS:
            if row.has(name):
                data[name] = row.text(name, Contact)
        if row.has("consent_status"):
            data["consent_status"] = row.choice("consent_status", CONSENT)
        if row.has("lifecycle_stage"):
            data["lifecycle_stage"] = row.choice("lifecycle_stage", STAGES)
        if row.has("owner"):
            data["owner"] = row.user("owner", self.users)
        data["company_domain"] = row.domain("company_domain") if row.has("company_domain") else None
        data["company_name"] = row.text("company_name", Contact, "first_name") if row.has("company_name") else ""
        if len(data["company_name"]) > 200:
            row.error("company_name", "is longer than 200 characters.")
        data["lifecycle_reason"] = row.get("lifecycle_reason")[:500]
        return None if row.errors else data

    def process(self, rows: list[tuple[Row, dict[str, Any]]], report: ImportReport) -> None:
        emails = {d["email"] for _, d in rows}
        existing = {c.email: c for c in Contact.objects.filter(email__in=emails)}
        domains = {d["company_domain"] for _, d in rows if d["company_domain"]}
        domains |= {email_domain(e) for e in emails}
        self.companies.load(domains, {d["company_name"] for _, d in rows if d["company_name"]})
        now = timezone.now()
        new: dict[str, NewContact] = {}
        changed: dict[str, tuple[Contact, set[str]]] = {}
        transitions: list[tuple[Contact | NewContact, str, str, str]] = []
        for row, data in rows:
            contact: Contact | NewContact | None = new.get(data["email"]) or existing.get(data["email"])
            stage = data.get("lifecycle_stage")
            current = contact.lifecycle_stage if contact else ""
            if stage and contact and stage != current:
                why_not = refusal(current, stage)
                reason = data["lifecycle_reason"] or ("" if needs_reason(current, stage) else self.reason)
                if why_not or not reason:
                    row.error("lifecycle_stage", why_not or "This move needs a reason: fill the lifecycle_reason column.")
                    report_failed(report, row)
                    continue
            values = {k: data[k] for k in ("email", *TEXT_FIELDS, "consent_status", "owner") if k in data}
            company = self.companies.find_or_add(data["company_domain"], data["company_name"])
            if company is not None:
                values["company"] = company
            if contact is None:
                if company is None:
                    values["company"] = self.companies.find(email_domain(data["email"]), "")
                contact = NewContact(values, stage or LifecycleStage.SUBSCRIBER, now)
                new[data["email"]] = contact
                transitions.append((contact, "", contact.lifecycle_stage, data["lifecycle_reason"] or self.reason))
                report.created += 1
                outcome = "create"
            else:
                fields = {k for k, v in values.items() if differs(contact, k, v)}
                for k in fields:
                    setattr(contact, k, values[k])
                if stage and stage != current:
                    transitions.append((contact, current, stage, data["lifecycle_reason"] or self.reason))
                    contact.lifecycle_stage, contact.lifecycle_changed_at = stage, now
                    fields |= {"lifecycle_stage", "lifecycle_changed_at"}
                if contact.pk and fields:
                    changed.setdefault(data["email"], (contact, set()))[1].update(fields)
                outcome = "update" if fields else "unchanged"
                if fields:
                    report.updated += 1
                else:
                    report.unchanged += 1
            preview(report, row, outcome, data)
        self.companies.save_new(self.journal)
        ids = bulk.insert_rows(Contact, NEW_CONTACT_COLUMNS, [c.row() for c in new.values()])
        self.journal.created(Contact, ids)
        for contact, pk in zip(new.values(), ids, strict=True):
            contact.pk = pk
        if changed:
            fields = set().union(*(f for _, f in changed.values())) | {"updated_at"}
            for contact, _ in changed.values():
                contact.updated_at = now
            self.journal.updating(Contact, [c for c, _ in changed.values()], fields)
            Contact.objects.bulk_update([c for c, _ in changed.values()], sorted(fields), batch_size=1000)
        by_id = self.by.pk if self.by is not None else None
        self.journal.created(LifecycleTransition, bulk.insert_rows(
            LifecycleTransition, TRANSITION_COLUMNS, [(c.pk, f, t, now, by_id, r, "import") for c, f, t, r in transitions]
        ))


NEW_CONTACT_COLUMNS = ("email", *TEXT_FIELDS, "consent_status", "company_id", "owner_id", "lifecycle_stage",
                       "lifecycle_changed_at", "custom", "created_at", "updated_at")
TRANSITION_COLUMNS = ("contact_id", "from_stage", "to_stage", "occurred_at", "by_id", "reason", "source")


class NewContact:
    """A contact this import creates, before it has an id: the fields `process` reads and changes, and its row.

    Cheaper than a model instance (the import writes these with COPY, never through `save()`); a second row with
    the same email in one file is refused in `clean`, so each is written once. Defaults are the model's.
    """

    __slots__ = ("pk", "email", *TEXT_FIELDS, "consent_status", "company", "owner", "lifecycle_stage",
                 "lifecycle_changed_at")

    def __init__(self, values: dict[str, Any], stage: str, now: Any) -> None:
        self.pk = None
        for name in TEXT_FIELDS:
            setattr(self, name, "")
        self.consent_status, self.company, self.owner = ConsentStatus.UNKNOWN.value, None, None
        for name, value in values.items():
            setattr(self, name, value)
        self.lifecycle_stage, self.lifecycle_changed_at = stage, now

    @property
    def company_id(self) -> int | None:
        return self.company.pk if self.company is not None else None

    @property
    def owner_id(self) -> int | None:
        return self.owner.pk if self.owner is not None else None

    def row(self) -> tuple[Any, ...]:
        now = self.lifecycle_changed_at
        return (self.email, *(getattr(self, name) for name in TEXT_FIELDS), self.consent_status, self.company_id,
                self.owner_id, self.lifecycle_stage, now, {}, now, now)


def differs(obj: Any, name: str, value: Any) -> bool:
    """Compare without loading related rows: foreign keys by id (an unsaved company always differs)."""
    if name in ("company", "owner", "campaign", "pipeline", "stage"):
        return getattr(obj, name + "_id") != (value.pk if value is not None else None) or (
            value is not None and value.pk is None
        )
    return getattr(obj, name) != value


def report_failed(report: ImportReport, row: Row) -> None:
    report.failed += 1
    report.errors.extend(row.errors)


def preview(report: ImportReport, row: Row, outcome: str, data: dict[str, Any]) -> None:
    if len(report.preview) < 20:
        shown = {k: ("" if v is None else getattr(v, "username", v)) for k, v in data.items()}
        report.preview.append({"line": row.line, "action": outcome, "values": {k: str(v) for k, v in shown.items()}})
