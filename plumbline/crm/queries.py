"""Every CRM read that matters: scoped querysets, fast prefix search, the merged timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower

from plumbline.crm.hooks import (
    TimelineEntry,
    TimelineSource,
    contact_filter,
    register_timeline_source,
    timeline_source,
    timeline_sources,
)
from plumbline.crm.models import (
    Activity,
    Company,
    Contact,
    ContactMerge,
    Deal,
    DealTransition,
    DuplicatePair,
    LifecycleStage,
    LifecycleTransition,
)


def contacts() -> QuerySet[Contact]:
    """Contacts with what a list row shows, in one query."""
    return Contact.objects.select_related("company", "owner")


def merges(*, contact_id: int | None = None) -> QuerySet[ContactMerge]:
    """Merges newest first; with `contact_id`, those into that contact and the one that removed it."""
    qs = ContactMerge.objects.order_by("-merged_at", "-id")
    if contact_id is not None:
        qs = qs.filter(Q(survivor_id=contact_id) | Q(merged_id=contact_id))
    return qs


def merged_into(contact_id: int, *, hops: int = 20) -> tuple[ContactMerge, Contact] | None:
    """Where a merged-away contact went: its (not undone) merge and the contact that holds its history now,
    following merges of the survivor in turn; None when the id was never merged away or the trail ends."""
    first = None
    current = contact_id
    for _ in range(hops):
        merge = ContactMerge.objects.filter(merged_id=current, undone_at=None).order_by("-merged_at", "-id").first()
        if merge is None:
            return None
        first = first or merge
        survivor = contacts().filter(pk=merge.survivor_id).first()
        if survivor is not None:
            return first, survivor
        current = merge.survivor_id
    return None


def possible_duplicates(contact: Contact, limit: int = 10) -> list[Contact]:
    """Other contacts that may be the same person: those the last duplicates scan paired with it (most likely
    first), then those with the same full name, the same phone, or the same last name at the same company
    (case-insensitive names; the name indexes serve the lookups)."""
    scanned = [p.right if p.left_id == contact.pk else p.left
               for p in duplicate_pairs(contact_id=contact.pk).select_related("left__owner", "right__owner")[:limit]]
    same = Q(pk__in=[])
    first, last = contact.first_name.strip().lower(), contact.last_name.strip().lower()
    if first and last:
        same |= Q(first_lower=first, last_lower=last)
    if contact.phone.strip():
        same |= Q(phone=contact.phone.strip())
    if last and contact.company_id:
        same |= Q(company_id=contact.company_id, last_lower=last)
    qs = contacts().alias(first_lower=Lower("first_name"), last_lower=Lower("last_name"))
    named = qs.filter(same).exclude(pk__in=[contact.pk, *(c.pk for c in scanned)]).order_by("-updated_at")
    return [*scanned, *named[: max(limit - len(scanned), 0)]]


def duplicate_pairs(*, status: str = "open", contact_id: int | None = None) -> QuerySet[DuplicatePair]:
    """Suggested duplicates, most likely first, with both contacts and their companies."""
    qs = DuplicatePair.objects.filter(status=status).select_related("left__company", "right__company")
    if contact_id is not None:
        qs = qs.filter(Q(left_id=contact_id) | Q(right_id=contact_id))
    return qs.order_by("-probability", "left_id", "right_id")


def contact_records() -> Iterator[tuple[Any, ...]]:
    """What the duplicate finder compares, per contact, streamed in id order: id, first and last name, email,
    phone, company id."""
    yield from Contact.objects.order_by("pk").values_list(
        "pk", "first_name", "last_name", "email", "phone", "company_id").iterator(chunk_size=20_000)


def companies() -> QuerySet[Company]:
    return Company.objects.select_related("owner")


def deals() -> QuerySet[Deal]:
    return Deal.objects.select_related("pipeline", "stage", "owner", "company")


def _prefix_range(column: str, prefix: str) -> Q:
    """`column` starts with `prefix`, written as a range so a plain b-tree index serves it on SQLite and PostgreSQL.

    The range is exact for byte-wise collations (SQLite, PostgreSQL with C/C.UTF-8); the `startswith` term keeps
    results exact under any collation.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": upper, f"{column}__startswith": prefix})


def clean_search(q: str | None) -> str:
    """Lowercase, single-spaced, at most 100 characters, without control characters (PostgreSQL refuses NUL)
    or the last code point (a prefix range needs a next character)."""
    text = "".join(ch for ch in (q or "") if ch.isprintable() and ch != "\U0010ffff")
    return " ".join(text.lower().split())[:100]


def case_variants(text: str, limit: int = 8) -> list[str]:
    """`text` (lowercase) spelt as a database's LOWER() may have left a stored name: SQLite's folds ASCII only,
    so "Ångström" stays "Ångström" in its index. Each non-ASCII letter lower or upper case, at most `limit`
    spellings (beyond that, all lower and all upper); under a Unicode-aware LOWER() the first one matches."""
    positions = [i for i, ch in enumerate(text) if not ch.isascii() and len(ch.upper()) == 1 and ch.upper() != ch]
    if not positions:
        return [text]
    if 2 ** len(positions) > limit:
        masks = [0, 2 ** len(positions) - 1]
    else:
        masks = list(range(2 ** len(positions)))
    spellings = []
    for mask in masks:
        chars = list(text)
        for bit, i in enumerate(positions):
            if mask >> bit & 1:
                chars[i] = chars[i].upper()
        spellings.append("".join(chars))
    return spellings


def _any_prefix(column: str, text: str) -> Q:
    cond = Q(pk__in=[])
    for spelling in case_variants(text):
        cond |= _prefix_range(column, spelling)
    return cond


DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _domain_term(q: str) -> str | None:
    """The domain part a query asks for: "@newco-test", "newco-test" or "newco-test.com" (a single word of
    domain characters with a dot or a hyphen, or after an @)."""
    text = q[1:] if q.startswith("@") else q
    if not text or not set(text) <= DOMAIN_CHARS:
        return None
    return text if q.startswith("@") or "." in text or "-" in text else None


def search_contacts(qs: QuerySet[Contact], q: str) -> QuerySet[Contact]:
    """Prefix search over email, first name, last name and company name, case-insensitive (non-ASCII letters
    included, see `case_variants`).

    "jane" matches Jane Doe, jane@x.com and contacts of "Janeway Inc"; "jane do" matches first "jane*" and last
    "do*"; "x@y" is an email prefix. A domain ("@newco-test", "newco-test", "newco-test.com") also matches the
    domain of emails and companies. Every branch is an indexed range, so it stays fast at 1M rows, except the
    email-domain match, a scan that only domain-like queries pay.
    """
    q = clean_search(q)
    if not q:
        return qs
    domain = _domain_term(q)
    if "@" in q and not q.startswith("@"):
        return qs.filter(_prefix_range("email", q))
    domain_cond = Q(pk__in=[])
    if domain:
        domain_cond = Q(email__contains=f"@{domain}") | Q(
            company_id__in=Company.objects.filter(_prefix_range("domain", domain)).values("pk")[:200])
    if q.startswith("@"):
        return qs.filter(domain_cond)
    qs = qs.alias(first_lower=Lower("first_name"), last_lower=Lower("last_name"))
    company_ids = (
        Company.objects.alias(name_lower=Lower("name")).filter(_any_prefix("name_lower", q)).values("pk")[:200]
    )
    words = q.split(" ")
    cond = _prefix_range("email", q) | Q(company_id__in=company_ids) | domain_cond
    if len(words) == 1:
        cond |= _any_prefix("first_lower", q) | _any_prefix("last_lower", q)
    else:
        first, last = words[0], " ".join(words[1:])
        cond |= (_any_prefix("first_lower", first) & _any_prefix("last_lower", last)) | (
            _any_prefix("first_lower", last) & _any_prefix("last_lower", first)
        )
    return qs.filter(cond)


def filter_contacts(
    qs: QuerySet[Contact],
    *,
    q: str = "",
    lifecycle_stage: str | None = None,
    owner_id: int | None = None,
    company_id: int | None = None,
    updated_since: dt.datetime | None = None,
    **contributed: Any,
) -> QuerySet[Contact]:
    """The contact list's filters; `contributed` are those other apps add (crm.hooks), by name: `campaign=3`."""
    if q:
        qs = search_contacts(qs, q)
    if lifecycle_stage:
        qs = qs.filter(lifecycle_stage=lifecycle_stage)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    for name, value in contributed.items():
        if value is not None:
            qs = contact_filter(name)(qs, value)
    return qs


def _activity_entry(a: Activity) -> TimelineEntry:
    title = a.get_kind_display() + (f": {a.subject}" if a.subject else "")
    detail = a.body
    if a.outcome:
        detail = f"{a.get_outcome_display()}. {detail}".strip()
    return TimelineEntry("activity", a.occurred_at, title, detail, a)


STAGE_LABELS = dict(LifecycleStage.choices)


def _lifecycle_entry(t: LifecycleTransition) -> TimelineEntry:
    frm = STAGE_LABELS.get(t.from_stage, t.from_stage) if t.from_stage else "New"
    to = STAGE_LABELS.get(t.to_stage, t.to_stage)
    who = f" by {t.by.display_name}" if t.by_id else ""
    return TimelineEntry("lifecycle", t.occurred_at, f"Lifecycle {frm} → {to}{who}", t.reason, t)


def _deal_entry(t: DealTransition) -> TimelineEntry:
    frm = t.from_stage.name if t.from_stage_id else "created"
    return TimelineEntry(
        "deal_stage", t.occurred_at, f"Deal {t.deal.name}: {frm} → {t.to_stage.name}", t.reason, t
    )


def _merge_entry(m: ContactMerge) -> TimelineEntry:
    who = f" by {m.by.display_name}" if m.by_id else ""
    detail = f"{m.moved_count} rows moved here" + (f"; undone {m.undone_at:%Y-%m-%d %H:%M} UTC" if m.undone_at else "")
    return TimelineEntry("merge", m.merged_at, f"Merged {m.merged_email} into this contact{who}", detail, m)


def _activity_rows(*, contact: Contact | None, company: Company | None, deal: Deal | None) -> QuerySet:
    scope = {"contact": contact} if contact else {"company": company} if company else {"deal": deal}
    return Activity.objects.filter(**scope).select_related("owner")


def _lifecycle_rows(*, contact: Contact | None, company: Company | None, deal: Deal | None) -> QuerySet | None:
    if deal is not None:
        return None
    scope = {"contact": contact} if contact else {"contact__company": company}
    return LifecycleTransition.objects.filter(**scope).select_related("by")


def _deal_rows(*, contact: Contact | None, company: Company | None, deal: Deal | None) -> QuerySet:
    scope = ({"deal__deal_contacts__contact": contact} if contact else {"deal__company": company} if company
             else {"deal": deal})
    return DealTransition.objects.filter(**scope).select_related("deal", "from_stage", "to_stage")


def _merge_rows(*, contact: Contact | None, company: Company | None, deal: Deal | None) -> QuerySet | None:
    if contact is None:
        return None
    return ContactMerge.objects.filter(survivor_id=contact.pk).select_related("by").alias(occurred_at=F("merged_at"))


# The CRM's own timeline rows; marketing adds touchpoints (rank 20). The ranks order entries of one instant.
for _source in (
    TimelineSource("activity", 10, _activity_rows, _activity_entry),
    TimelineSource("lifecycle", 30, _lifecycle_rows, _lifecycle_entry),
    TimelineSource("deal_stage", 40, _deal_rows, _deal_entry),
    TimelineSource("merge", 50, _merge_rows, _merge_entry),
):
    register_timeline_source(_source)


@dataclass(frozen=True)
class TimelineCursor:
    """Where a timeline page ended: its last entry's instant, source and id. The next page holds what sorts after
    it, so entries sharing the last entry's instant are neither repeated nor skipped. A bare instant (`source`
    None) means everything strictly before it."""

    at: dt.datetime
    source: str | None = None
    pk: int = 0

    @property
    def rank(self) -> int:
        source = None if self.source is None else timeline_source(self.source)
        return -1 if source is None else source.rank

    def token(self) -> str:
        return f"{self.at.isoformat()}~{self.source}~{self.pk}"

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineCursor:
        return cls(entry.occurred_at, entry.kind, entry.obj.pk)

    @classmethod
    def parse(cls, token: str) -> TimelineCursor:
        """The cursor from `token()`, or from a bare ISO date-time; ValueError when it is neither."""
        from django.utils.dateparse import parse_datetime

        at_text, _, rest = token.partition("~")
        source, _, pk = rest.partition("~")
        try:
            at = parse_datetime(at_text)
        except ValueError:
            at = None
        if at is None or (rest and (timeline_source(source) is None or not pk.isdigit())):
            raise ValueError("not a timeline cursor: expected the next_cursor of a previous page")
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return cls(at, source or None, int(pk or 0))


def _recent(qs: QuerySet, source: TimelineSource, cursor: TimelineCursor | None, limit: int) -> list:
    """The newest `limit` rows of one source that sort after `cursor` (see TimelineCursor)."""
    if cursor is not None:
        if source.rank < cursor.rank:
            qs = qs.filter(occurred_at__lte=cursor.at)
        elif source.rank == cursor.rank:
            qs = qs.filter(Q(occurred_at__lt=cursor.at) | Q(occurred_at=cursor.at, pk__lt=cursor.pk))
        else:
            qs = qs.filter(occurred_at__lt=cursor.at)
    return list(qs.order_by("-occurred_at", "-id")[:limit])


def timeline(
    *,
    contact: Contact | None = None,
    company: Company | None = None,
    deal: Deal | None = None,
    before: dt.datetime | TimelineCursor | None = None,
    limit: int = 50,
) -> list[TimelineEntry]:
    """Activities, touchpoints, lifecycle and deal stage changes of one record, and a contact's merges, newest
    first (the sources registered in crm.hooks).

    Each source is cut at `limit` before merging, so the cost is bounded however long the history is; pass
    `TimelineCursor.of(last entry)` as `before` for the next page (an instant gives what is strictly before it).
    """
    if contact is None and company is None and deal is None:
        raise ValueError("timeline() needs a contact, a company or a deal")
    cursor = TimelineCursor(before) if isinstance(before, dt.datetime) else before
    entries: list[TimelineEntry] = []
    ranks: dict[str, int] = {}
    for source in timeline_sources():
        rows = source.rows(contact=contact, company=company, deal=deal)
        if rows is not None:
            entries += [source.entry(row) for row in _recent(rows, source, cursor, limit)]
            ranks[source.kind] = source.rank
    entries.sort(key=lambda e: (e.occurred_at, ranks[e.kind], e.obj.pk), reverse=True)
    return entries[:limit]


def next_cursor(entries: list[TimelineEntry], limit: int) -> str | None:
    """The token for the page after `entries`, or None when this page was the last."""
    return TimelineCursor.of(entries[-1]).token() if len(entries) == limit else None


def contact_timeline(
    contact: Contact, *, before: dt.datetime | TimelineCursor | None = None, limit: int = 50
) -> list[TimelineEntry]:
    return timeline(contact=contact, before=before, limit=limit)


# --- reads for the web pages -------------------------------------------------------------------------------


def keyset_page(qs: QuerySet, *, after: int | None, size: int) -> tuple[list, int | None]:
    """One page of `qs` newest first by id, and the id to continue after (None on the last page).

    Keyset, not OFFSET: page 1,000 costs what page 1 costs, and nothing ever counts the whole table.
    """
    if after is not None:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-pk")[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def find_company(text: str) -> Company | None:
    """The company with this domain (any URL form) or, failing that, this exact name (case-insensitive)."""
    from plumbline.core.errors import DomainError
    from plumbline.core.validation import normalize_domain

    try:
        domain = normalize_domain(text) if "." in text else None
    except DomainError:
        domain = None
    if domain:
        company = Company.objects.filter(domain=domain).first()
        if company is not None:
            return company
    return Company.objects.alias(name_lower=Lower("name")).filter(name_lower=text.strip().lower()).first()


def lifecycle_counts() -> list[tuple[str, str, int]]:
    """(stage, label, number of contacts) for every stage in funnel order, zeros included."""
    from django.db.models import Count

    from plumbline.crm.models import LifecycleStage

    counts = dict(Contact.objects.values_list("lifecycle_stage").annotate(n=Count("pk")).order_by())
    return [(s.value, s.label, counts.get(s.value, 0)) for s in LifecycleStage]


def open_pipeline_value() -> list[tuple[str, Any, int]]:
    """(currency, total amount, number of deals) of open deals, per currency."""
    from django.db.models import Count, Sum

    rows = (Deal.objects.filter(status=Deal.Status.OPEN).values_list("currency")
            .annotate(total=Sum("amount"), n=Count("pk")).order_by("currency"))
    return [(cur, total, n) for cur, total, n in rows]


@dataclass
class TaskSection:
    """One part of a to-do list: `count` open tasks, the first of them (soonest due first) in `tasks`."""

    key: str
    title: str
    tasks: list[Activity]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.tasks)


def open_tasks(owner: Any) -> QuerySet[Activity]:
    """`owner`'s tasks not done yet, soonest due first (those without a due date last), with their records."""
    return (
        Activity.objects.filter(owner=owner, kind=Activity.Kind.TASK, completed_at__isnull=True)
        .select_related("contact", "company", "deal").order_by(F("due_at").asc(nulls_last=True), "pk")
    )


def task_sections(owner: Any, *, now: dt.datetime | None = None, limit: int = 100) -> list[TaskSection]:
    """Open tasks as overdue (due before today), today, upcoming and undated; "today" is the calendar day of
    `now` in the site's time zone (settings.TIME_ZONE)."""
    from django.utils import timezone

    now = now or timezone.now()
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    tomorrow = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    qs = open_tasks(owner)
    parts = (
        ("overdue", "Overdue", qs.filter(due_at__lt=start)),
        ("today", "Today", qs.filter(due_at__gte=start, due_at__lt=tomorrow)),
        ("upcoming", "Upcoming", qs.filter(due_at__gte=tomorrow)),
        ("undated", "No due date", qs.filter(due_at__isnull=True)),
    )
    sections = []
    for key, title, part in parts:
        tasks = list(part[:limit])
        sections.append(TaskSection(key, title, tasks, len(tasks) if len(tasks) < limit else part.count()))
    return sections


@dataclass
class BoardColumn:
    """One stage of the deal board: its deals (the most recently updated first), count and amount total."""

    stage: Any
    deals: list[Deal]
    count: int
    total: Any
    limit: int = 0  # how many cards were asked for; `count` above it means more can be shown
    more_url: str = ""  # set by the page: the board with this column showing more


BOARD_OPEN_CARDS = 50
BOARD_CLOSED_CARDS = 10  # won and lost pile up: their columns start with the most recently closed
BOARD_MORE = 50
BOARD_MAX_CARDS = 1000


def deal_board(pipeline: Any, *, limits: dict[int, int] | None = None) -> list[BoardColumn]:
    """The kanban of one pipeline; counts and totals cover every deal. Cards are capped per stage: open stages
    show 50, won and lost the 10 most recently closed; `limits` (stage id -> cards) shows more of a column."""
    from decimal import Decimal

    from django.db.models import Count, Sum

    totals = {
        stage_id: (n, total)
        for stage_id, n, total in Deal.objects.filter(pipeline=pipeline).values_list("stage_id")
        .annotate(n=Count("pk"), total=Sum("amount")).order_by()
    }
    columns = []
    for stage in pipeline.stages.order_by("position"):
        n, total = totals.get(stage.pk, (0, Decimal("0")))
        closed = stage.kind != "open"
        default = BOARD_CLOSED_CARDS if closed else BOARD_OPEN_CARDS
        limit = min(max((limits or {}).get(stage.pk, default), 1), BOARD_MAX_CARDS)
        order = ("-closed_at", "-updated_at", "-pk") if closed else ("-updated_at", "-pk")
        cards = list(
            Deal.objects.filter(stage=stage).select_related("owner", "company").order_by(*order)[:limit] if n else []
        )
        columns.append(BoardColumn(stage, cards, n, total, limit))
    return columns


TIMELINE_PAGE = 50


def parse_before(value: str | None) -> TimelineCursor | None:
    """The `before` cursor of a timeline page (a `next_cursor` token or an ISO date-time); None when absent or
    malformed, which shows the first page."""
    try:
        return TimelineCursor.parse(value) if value else None
    except ValueError:
        return None


def custom_values(applies_to: str, data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of each custom field defined for `applies_to` that the record has a value for."""
    from plumbline.crm.models import CustomField

    defs = CustomField.objects.filter(applies_to=applies_to).order_by("label")
    shown = {True: "Yes", False: "No"}
    return [(d.label, shown.get(data[d.key], data[d.key]) if isinstance(data[d.key], bool) else data[d.key])
            for d in defs if d.key in data]
