"""What every importer shares: the report, row errors, text/number cleaning and the company resolver."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Model, Q

from plumbline.core.errors import DomainError
from plumbline.core.validation import normalize_domain
from plumbline.crm.models import Company, Contact

PREVIEW_ROWS = 20


@dataclass
class RowError:
    line: int
    column: str | None
    message: str


@dataclass
class ImportReport:
    """The outcome of one import (or dry run): counts, every row error, a preview of the first rows."""

    kind: str
    mode: str
    dry_run: bool
    mapping: dict[str, str] = field(default_factory=dict)  # CSV column -> field
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    file_error: str | None = None
    rejected: bool = False  # all-or-nothing with errors: nothing was written

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.rejected and (self.created + self.updated) > 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Row:
    """One CSV row: its line, its values by field name, and the column each field came from (for errors)."""

    __slots__ = ("line", "values", "columns", "errors")

    def __init__(self, line: int, values: dict[str, str], columns: dict[str, str]) -> None:
        self.line, self.values, self.columns = line, values, columns
        self.errors: list[RowError] = []

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, name: str) -> bool:
        return bool(self.values.get(name, ""))

    def error(self, name: str | None, message: str) -> None:
        self.errors.append(RowError(self.line, self.columns.get(name, name) if name else None, message))

    def text(self, name: str, model: type[Model], model_field: str | None = None) -> str:
        value = self.get(name)
        limit = model._meta.get_field(model_field or name).max_length
        if limit and len(value) > limit:
            self.error(name, f"is longer than {limit} characters.")
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.get(name).lower().replace(" ", "_")
        if value and value not in choices:
            self.error(name, f"{self.get(name)!r} is not one of {', '.join(choices)}.")
        return value

    def domain(self, name: str) -> str | None:
        try:
            return normalize_domain(self.get(name))
        except DomainError as exc:
            self.error(name, exc.message)
            return None

    def integer(self, name: str, *, minimum: int = 0) -> int | None:
        value = self.get(name).replace(",", "").replace("_", "")
        if not value:
            return None
        try:
            number = int(Decimal(value)) if Decimal(value) == Decimal(value).to_integral_value() else None
        except InvalidOperation:
            number = None
        if number is None or number < minimum or number > 2_147_483_647:
            self.error(name, f"{self.get(name)!r} is not a whole number of at least {minimum}.")
            return None
        return number

    def decimal(self, name: str, *, digits: int = 16) -> Decimal | None:
        value = self.get(name).replace(",", "")
        if not value:
            return None
        try:
            number = Decimal(value)
            if not number.is_finite() or number < 0 or abs(number) >= Decimal(10) ** (digits - 2):
                raise InvalidOperation
        except InvalidOperation:
            self.error(name, f"{self.get(name)!r} is not an amount from 0 to {10 ** (digits - 2):,}.")
            return None
        return number.quantize(Decimal("0.01"))

    def date(self, name: str) -> dt.date | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.error(name, f"{value!r} is not a date like 2026-01-31.")
            return None

    def user(self, name: str, users: dict[str, Any]) -> Any:
        value = self.get(name)
        if not value:
            return None
        user = users.get(value.lower())
        if user is None:
            self.error(name, f"No user named {value!r}.")
        return user


class CompanyResolver:
    """Finds companies by normalised domain (or exact name when there is no domain), creating missing ones.

    One query per chunk resolves every key; new companies are saved in one bulk insert before the rows that
    reference them. With `link_contacts` (the companies import, like `do_create_company`), contacts without a
    company whose email is at a new company's domain join it; the contacts import links its own rows instead.
    """

    def __init__(self, *, link_contacts: bool = False) -> None:
        self.link_contacts = link_contacts
        self.by_domain: dict[str, Company] = {}
        self.by_name: dict[str, Company] = {}
        self.new: list[Company] = []

    def load(self, domains: set[str], names: set[str]) -> None:
        domains -= set(self.by_domain)
        names -= set(self.by_name)
        if not domains and not names:
            return
        for company in Company.objects.filter(Q(domain__in=domains) | Q(name__in=names)).order_by("id"):
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

    def save_new(self, journal: Any) -> list[Company]:
        created, self.new = self.new, []
        if not created:
            return []
        Company.objects.bulk_create(created, batch_size=1000)
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


def _any(conditions: Any) -> Q:
    result = Q(pk__in=[])
    for q in conditions:
        result |= q
    return result
