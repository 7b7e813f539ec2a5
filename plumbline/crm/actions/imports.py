"""Bulk verbs for imports: the CSV importers (plumbline.interop) parse and map columns, then hand each chunk of
rows to these, so the record's rules (upsert keys, lifecycle moves and their reasons, companies found or created by
domain, a deal's status following its stage, rescoring after fit fields change) live here once.

Each verb takes rows as dicts of typed values (the importer has parsed the cells), writes them in bulk inside the
caller's transaction and returns one `RowResult` per row, in order. A `journal` hears about every write (ids created,
rows about to be overwritten) so an all-or-nothing import can be undone (decision 0006); the verbs know nothing
else about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Model, Q
from django.db.models.functions import Lower
from django.utils import timezone

from plumbline.core import bulk
from plumbline.core.errors import DomainError
from plumbline.core.permissions import check
from plumbline.core.validation import email_domain
from plumbline.crm.actions.deals import _status_for as status_for
from plumbline.crm.lifecycle import needs_reason, refusal
from plumbline.crm.models import (
    Company,
    ConsentStatus,
    Contact,
    Deal,
    DealTransition,
    LifecycleStage,
    LifecycleTransition,
    PipelineStage,
)
from plumbline.events.actions import EventSpec, emit_many


class Journal(Protocol):
    """Told about each write of an import, inside its transaction (plumbline.interop.undo.Journal)."""

    def created(self, model: type[Model], ids: Iterable[int | None]) -> None: ...

    def updating(self, model: type[Model], objs: Sequence[Model], fields: Iterable[str]) -> None: ...


class NoJournal:
    def created(self, model: type[Model], ids: Iterable[int | None]) -> None:
        pass

    def updating(self, model: type[Model], objs: Sequence[Model], fields: Iterable[str]) -> None:
        pass


NO_JOURNAL = NoJournal()


@dataclass(slots=True)
class RowResult:
    """What became of one row: `outcome` is "create", "update" or "unchanged", or "" when refused (`errors` say
    why, each naming the row's key). `shown` holds values worth previewing that the verb worked out."""

    outcome: str = ""
    errors: list[DomainError] = field(default_factory=list)
    shown: dict[str, Any] | None = None

    def refuse(self, key: str | None, message: str) -> RowResult:
        self.errors.append(DomainError(message, field=key))
        return self


def differs(obj: Any, name: str, value: Any) -> bool:
    """Compare without loading related rows: foreign keys by id (an unsaved company always differs)."""
    if name in ("company", "owner", "campaign", "pipeline", "stage"):
        return getattr(obj, name + "_id") != (value.pk if value is not None else None) or (
            value is not None and value.pk is None
        )
    return getattr(obj, name) != value


def _any(conditions: Iterable[Q]) -> Q:
    result = Q(pk__in=[])
    for q in conditions:
        result |= q
    return result


COMPANY_COLUMNS = ("name", "domain", "industry", "employee_count", "annual_revenue", "country", "owner_id", "custom",
                   "created_at", "updated_at")


class CompanyResolver:
    """Finds companies by normalised domain (or exact name when there is no domain), creating missing ones.

    One query per chunk resolves every key; new companies are saved in one bulk insert before the rows that
    reference them. With `link_contacts` (the companies import, like `do_create_company`), contacts without a
    company whose email is at a new company's domain join it; the contacts import links its own rows instead.
    Keep one per import: it remembers what earlier chunks found and created.
    """

    def __init__(self, *, link_contacts: bool = False) -> None:
        self.link_contacts = link_contacts
        self.by_domain: dict[str, Company] = {}
        self.by_name: dict[str, Company] = {}
        self.new: list[Company] = []

    def load(self, domains: set[str], names: set[str]) -> None:
        """Look up the companies with these domains, and with these names (for rows without a domain)."""
        domains -= set(self.by_domain)
        names -= set(self.by_name)
        found: list[Company] = []
        if domains:
            found += Company.objects.filter(domain__in=domains)
        if names:  # served by the lower(name) index; the exact name is matched here
            found += [c for c in Company.objects.annotate(lname=Lower("name"))
                      .filter(lname__in={n.lower() for n in names}) if c.name in names]
        for company in sorted(found, key=lambda c: c.pk):
            if company.domain:
                self.by_domain.setdefault(company.domain, company)
            self.by_name.setdefault(company.name, company)

    def find(self, domain: str | None, name: str) -> Company | None:
        if domain:
            return self.by_domain.get(domain)
        return self.by_name.get(name) if name else None

    def find_or_add(self, domain: str | None, name: str) -> Company | None:
        if not domain and not name:
            return None
        company = self.find(domain, name)
        if company is None:
            company = Company(name=name or domain or "", domain=domain)
            self.new.append(company)
            if domain:
                self.by_domain[domain] = company
            self.by_name.setdefault(company.name, company)
        return company

    def save_new(self, journal: Journal) -> list[Company]:
        created, self.new = self.new, []
        if not created:
            return []
        now = timezone.now()
        for company in created:
            company.created_at = company.updated_at = now
        rows = [tuple(getattr(c, f) for f in COMPANY_COLUMNS) for c in created]
        for company, pk in zip(created, bulk.insert_rows(Company, COMPANY_COLUMNS, rows), strict=True):
            company.pk = pk
            company._state.adding, company._state.db = False, "default"
        journal.created(Company, (c.pk for c in created))
        with_domain = [c for c in created if c.domain] if self.link_contacts else []
        for start in range(0, len(with_domain), 100):
            part = with_domain[start:start + 100]
            unlinked = Contact.objects.filter(company__isnull=True).filter(
                _any(Q(email__endswith="@" + c.domain) for c in part)
            )
            by_domain = {c.domain: c for c in part}
            changed = []
            for contact in unlinked.only("id", "email"):
                contact.company = by_domain[contact.email.rsplit("@", 1)[-1]]
                changed.append(contact)
            journal.updating(Contact, changed, ["company"])
            Contact.objects.bulk_update(changed, ["company"], batch_size=1000)
        return created


# --- contacts ----------------------------------------------------------------------------------------------

CONTACT_TEXT_FIELDS = ("first_name", "last_name", "title", "phone", "source")
_CONTACT_VALUES = ("email", *CONTACT_TEXT_FIELDS, "consent_status", "owner")
NEW_CONTACT_COLUMNS = ("email", *CONTACT_TEXT_FIELDS, "consent_status", "company_id", "owner_id", "lifecycle_stage",
                       "lifecycle_changed_at", "custom", "created_at", "updated_at")
TRANSITION_COLUMNS = ("contact_id", "from_stage", "to_stage", "occurred_at", "by_id", "reason", "source")


_UNKNOWN_CONSENT = ConsentStatus.UNKNOWN.value


class NewContact:
    """A contact this import creates, before it has an id: the fields the verb reads and changes, and its row.

    Cheaper than a model instance (new contacts are written with COPY, never through `save()`); the importer
    refuses a second row with the same email in one file, so each is written once. Defaults are the model's.
    """

    __slots__ = ("pk", "email", *CONTACT_TEXT_FIELDS, "consent_status", "company", "owner", "lifecycle_stage",
                 "lifecycle_changed_at")

    def __init__(self, values: dict[str, Any], stage: str, now: Any) -> None:
        self.pk = None
        for name in CONTACT_TEXT_FIELDS:
            setattr(self, name, "")
        self.consent_status, self.company, self.owner = _UNKNOWN_CONSENT, None, None
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
        return (self.email, *(getattr(self, name) for name in CONTACT_TEXT_FIELDS), self.consent_status,
                self.company_id, self.owner_id, self.lifecycle_stage, now, {}, now, now)


@transaction.atomic
def do_import_contacts(
    *, by: Any = None, rows: Sequence[dict[str, Any]], companies: CompanyResolver, reason: str = "Imported",
    journal: Journal = NO_JOURNAL,
) -> list[RowResult]:
    """Upsert contacts by email (normalised by the caller, once per file).

    A row holds `email` and any of the text fields, `consent_status`, `owner` (a user), `lifecycle_stage` with its
    `lifecycle_reason`, `company_domain` / `company_name` (the company, found or created; without one, a new
    contact joins the company of its email domain if there is one). A stage change follows the lifecycle's rules
    (an illegal move or a missing reason refuses the row) and is recorded as a transition with `reason`; contacts
    whose fit fields changed are rescored from their `contact.updated` events, as after `do_update_contact`.
    """
    check(by, "add", "contact")
    check(by, "change", "contact")
    emails = {d["email"] for d in rows}
    existing = _contacts_by_email(emails)
    domains = {d["company_domain"] for d in rows if d.get("company_domain")}
    domains |= {email_domain(e) for e in emails}
    companies.load(domains, {d["company_name"] for d in rows if d.get("company_name") and not d.get("company_domain")})
    now = timezone.now()
    new: dict[str, NewContact] = {}
    changed: dict[str, tuple[Contact, set[str]]] = {}
    transitions: list[tuple[Contact | NewContact, str, str, str]] = []
    results = []
    for data in rows:
        result = RowResult()
        results.append(result)
        contact: Contact | NewContact | None = new.get(data["email"]) or existing.get(data["email"])
        stage = data.get("lifecycle_stage")
        why = data.get("lifecycle_reason") or ""
        current = contact.lifecycle_stage if contact else ""
        if stage and contact and stage != current:
            why_not = refusal(current, stage)
            if why_not or not (why or not needs_reason(current, stage)):
                result.refuse("lifecycle_stage",
                              why_not or "This move needs a reason: fill the lifecycle_reason column.")
                continue
        values = {k: data[k] for k in _CONTACT_VALUES if k in data}
        company = companies.find_or_add(data.get("company_domain"), data.get("company_name") or "")
        if company is not None:
            values["company"] = company
        if contact is None:
            if company is None:
                values["company"] = companies.find(email_domain(data["email"]), "")
            contact = NewContact(values, stage or LifecycleStage.SUBSCRIBER, now)
            new[data["email"]] = contact
            transitions.append((contact, "", contact.lifecycle_stage, why or reason))
            result.outcome = "create"
            continue
        fields = {k for k, v in values.items() if differs(contact, k, v)}
        for k in fields:
            setattr(contact, k, values[k])
        if stage and stage != current:
            transitions.append((contact, current, stage, why or reason))
            contact.lifecycle_stage, contact.lifecycle_changed_at = stage, now
            fields |= {"lifecycle_stage", "lifecycle_changed_at"}
        if contact.pk and fields:
            changed.setdefault(data["email"], (contact, set()))[1].update(fields)
        result.outcome = "update" if fields else "unchanged"
    new_companies = companies.save_new(journal)
    _write_new_contacts(list(new.values()), journal)
    _write_changed(Contact, changed.values(), now, journal)
    by_id = by.pk if by is not None else None
    journal.created(LifecycleTransition, bulk.insert_rows(
        LifecycleTransition, TRANSITION_COLUMNS, [(c.pk, f, t, now, by_id, r, "import") for c, f, t, r in transitions]
    ))
    emit_many([*_company_events(new_companies, (), by_id, now),
               *_contact_events(new.values(), changed.values(), transitions, by_id, now)])
    return results


def _contact_events(
    new: Iterable[NewContact], changed: Iterable[tuple[Contact, set[str]]],
    transitions: list[tuple[Contact | NewContact, str, str, str]], by_id: int | None, now: Any,
) -> Iterator[EventSpec]:
    """The import's events, written in bulk: each new contact, each changed one (which fields), each stage move of
    an existing contact (a new contact's first stage is in its `contact.created`)."""
    for c in new:
        yield EventSpec("contact.created", "contact", c.pk, {
            "stage": c.lifecycle_stage, "company_id": c.company_id, "owner_id": c.owner_id,
            "source": "import"}, now, by_id)
    for c, fields in changed:
        yield EventSpec("contact.updated", "contact", c.pk, {"fields": sorted(fields), "source": "import"}, now, by_id)
    for c, from_stage, to_stage, reason in transitions:
        if from_stage:
            yield EventSpec("lifecycle.changed", "contact", c.pk, {
                "from": from_stage, "to": to_stage, "reason": reason, "source": "import"}, now, by_id)


def _contacts_by_email(emails: set[str]) -> dict[str, Contact]:
    """The contacts with these emails; new ones (most of a first import) cost one index probe each, no row."""
    if connection.vendor == "postgresql":  # one array parameter rather than a statement of 500 placeholders
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM crm_contact WHERE email = ANY(%s)", [list(emails)])
            ids = [pk for (pk,) in cursor.fetchall()]
        return {c.email: c for c in Contact.objects.filter(pk__in=ids)} if ids else {}
    return {c.email: c for c in Contact.objects.filter(email__in=emails)}


def _write_new_contacts(new: list[NewContact], journal: Journal) -> None:
    ids = bulk.insert_rows(Contact, NEW_CONTACT_COLUMNS, [c.row() for c in new])
    journal.created(Contact, ids)
    for contact, pk in zip(new, ids, strict=True):
        contact.pk = pk


def _write_changed(model: type[Model], changed: Iterable[tuple[Any, set[str]]], now: Any, journal: Journal) -> None:
    changed = list(changed)
    if not changed:
        return
    fields = set().union(*(f for _, f in changed)) | {"updated_at"}
    objs = [obj for obj, _ in changed]
    for obj in objs:
        obj.updated_at = now
    journal.updating(model, objs, fields)
    model.objects.bulk_update(objs, sorted(fields), batch_size=1000)


# --- companies ---------------------------------------------------------------------------------------------

COMPANY_VALUES = ("name", "industry", "employee_count", "annual_revenue", "country", "owner")


@transaction.atomic
def do_import_companies(
    *, by: Any = None, rows: Sequence[dict[str, Any]], companies: CompanyResolver, journal: Journal = NO_JOURNAL,
) -> list[RowResult]:
    """Upsert companies by normalised `domain`, or by exact `name` when the row has none; the other keys are the
    fields to set. New companies take in the contacts at their domain (`companies` links them, as
    `do_create_company` does); contacts of companies whose fit fields changed are rescored from the `company.updated` events."""
    check(by, "add", "company")
    check(by, "change", "company")
    companies.load({d["domain"] for d in rows if d.get("domain")}, {d["name"] for d in rows if not d.get("domain")})
    now = timezone.now()
    changed: dict[int, tuple[Company, set[str]]] = {}
    results = []
    for data in rows:
        values = {k: data[k] for k in COMPANY_VALUES if k in data}
        company = companies.find(data.get("domain"), data["name"])
        if company is None:
            company = companies.find_or_add(data.get("domain"), data["name"])
            fields, outcome = set(values), "create"
        else:
            fields = {k for k, v in values.items() if differs(company, k, v)}
            if company.pk and fields:
                changed.setdefault(company.pk, (company, set()))[1].update(fields)
            outcome = "create" if company.pk is None else "update" if fields else "unchanged"
        for k in fields:
            setattr(company, k, values[k])
        results.append(RowResult(outcome))
    new_companies = companies.save_new(journal)
    _write_changed(Company, changed.values(), now, journal)
    emit_many(_company_events(new_companies, changed.values(), by.pk if by is not None else None, now))
    return results


# --- deals -------------------------------------------------------------------------------------------------

DEAL_VALUES = ("amount", "currency", "expected_close_date", "owner")


def set_deal_stage(deal: Deal, stage: PipelineStage, reason: str, now: Any) -> None:
    """A deal's status follows its stage: a won or lost stage closes it (with the reason), any other opens it."""
    deal.stage = stage
    deal.status = status_for(stage)
    deal.closed_at = now if deal.status != Deal.Status.OPEN else None
    deal.close_reason = reason if deal.status != Deal.Status.OPEN else ""


@transaction.atomic
def do_import_deals(
    *, by: Any = None, rows: Sequence[dict[str, Any]], companies: CompanyResolver, journal: Journal = NO_JOURNAL,
) -> list[RowResult]:
    """Upsert deals by (name, company). A row holds `name`, `pipeline`, `stage` (None: a new deal starts in the
    pipeline's first stage, an existing one stays), `close_reason`, `company_domain` / `company_name` and any of
    the values. A new stage is a recorded move; closing as lost needs a reason; a deal never changes pipeline."""
    check(by, "add", "deal")
    check(by, "change", "deal")
    companies.load({d["company_domain"] for d in rows if d.get("company_domain")},
                   {d["company_name"] for d in rows if d.get("company_name") and not d.get("company_domain")})
    existing = _existing_deals(rows, companies)
    first_stages = {s.pipeline_id: s for s in PipelineStage.objects.filter(
        pipeline__in={d["pipeline"] for d in rows}).order_by("-position")}
    now = timezone.now()
    new: dict[tuple, Deal] = {}
    changed: dict[int, tuple[Deal, set[str]]] = {}
    moves: list[tuple[Deal, PipelineStage | None, PipelineStage, str]] = []
    results = []
    for data in rows:
        result = RowResult()
        results.append(result)
        company = companies.find_or_add(data.get("company_domain"), data.get("company_name") or "")
        key = (data["name"], company.pk if company and company.pk else id(company) if company else None)
        deal = new.get(key) or existing.get(key)
        stage, reason = data.get("stage"), data.get("close_reason") or ""
        if deal is not None and stage is not None and deal.pipeline_id != stage.pipeline_id:
            result.refuse("pipeline", "A deal cannot change pipeline in an import.")
        if stage is not None and stage.kind == PipelineStage.Kind.LOST and not reason and (
                deal is None or deal.stage_id != stage.pk):
            result.refuse("close_reason", "Say why the deal was lost: fill the close_reason column.")
        if result.errors:
            continue
        values = {k: data[k] for k in DEAL_VALUES if k in data}
        if deal is None:
            stage = stage or first_stages[data["pipeline"].pk]
            deal = Deal(name=data["name"], pipeline=data["pipeline"], company=company, **values)
            set_deal_stage(deal, stage, reason, now)
            new[key] = deal
            moves.append((deal, None, stage, "Imported"))
            result.outcome = "create"
        else:
            fields = {k for k, v in values.items() if differs(deal, k, v)}
            for k in fields:
                setattr(deal, k, values[k])
            if stage is not None and stage.pk != deal.stage_id:
                moves.append((deal, deal.stage, stage, reason))
                set_deal_stage(deal, stage, reason, now)
                fields |= {"stage", "status", "closed_at", "close_reason"}
            if deal.pk and fields:
                changed.setdefault(deal.pk, (deal, set()))[1].update(fields)
            result.outcome = "update" if fields else "unchanged"
        result.shown = {"stage": (stage or deal.stage).name, "company": company or ""}
    new_companies = companies.save_new(journal)
    Deal.objects.bulk_create(new.values(), batch_size=1000)
    journal.created(Deal, (d.pk for d in new.values()))
    _write_changed(Deal, changed.values(), now, journal)
    transitions = DealTransition.objects.bulk_create(
        [DealTransition(deal=d, from_stage=f, to_stage=t, occurred_at=now, by=by, reason=r, amount=d.amount)
         for d, f, t, r in moves], batch_size=1000)
    journal.created(DealTransition, (t.pk for t in transitions))
    by_id = by.pk if by is not None else None
    emit_many([*_company_events(new_companies, (), by_id, now), *_deal_events(new.values(), moves, by_id, now)])
    return results


def _company_events(new: Iterable[Company], changed: Iterable[tuple[Company, set[str]]], by_id: int | None,
                    now: Any) -> Iterator[EventSpec]:
    for c in new:
        yield EventSpec("company.created", "company", c.pk, {"source": "import"}, now, by_id)
    for c, fields in changed:
        yield EventSpec("company.updated", "company", c.pk, {"fields": sorted(fields), "source": "import"}, now, by_id)


def _deal_events(new: Iterable[Deal], moves: list[tuple[Deal, PipelineStage | None, PipelineStage, str]],
                 by_id: int | None, now: Any) -> Iterator[EventSpec]:
    """Each new deal, and each stage move of an existing one (won or lost when it closes it)."""
    for d in new:
        yield EventSpec("deal.created", "deal", d.pk, {
            "pipeline_id": d.pipeline_id, "stage_id": d.stage_id, "status": d.status, "company_id": d.company_id,
            "source": "import"}, now, by_id)
    for d, from_stage, to_stage, reason in moves:
        if from_stage is None:
            continue
        payload = {"from_stage_id": from_stage.pk, "to_stage_id": to_stage.pk, "reason": reason, "source": "import"}
        yield EventSpec("deal.moved", "deal", d.pk, payload, now, by_id)
        if d.status in (Deal.Status.WON, Deal.Status.LOST):
            yield EventSpec(f"deal.{d.status}", "deal", d.pk, payload, now, by_id)


def _existing_deals(rows: Sequence[dict[str, Any]], companies: CompanyResolver) -> dict[tuple, Deal]:
    known = {(d["name"], c.pk) for d in rows
             if (c := companies.find(d.get("company_domain"), d.get("company_name") or ""))}
    existing = {(d.name, d.company_id): d for d in Deal.objects.filter(name__in={n for n, _ in known})
                if (d.name, d.company_id) in known}
    existing.update({(d.name, None): d for d in Deal.objects.filter(
        name__in={d["name"] for d in rows if not d.get("company_domain") and not d.get("company_name")},
        company__isnull=True)})
    return existing
