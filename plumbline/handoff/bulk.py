"""Promoting and routing many MQLs at once, each recorded as the per-contact path records one.

After a bulk rescore, `do_promote_and_route` promotes the contacts the MQL rule now holds for (scoring.bulk) and
routes them, a batch at a time, each batch one transaction. `route_mqls` routes MQLs the way `do_route_lead` routes
one (company owner, then territories by priority, then round robin in each sales team, never a rep out of the
office or at capacity), with the sellers, their open leads, the territories and the round-robin positions read once
per batch and counted in memory as leads are given out, in contact id order. The writes are set-based: assignments,
owner changes, the reps' notifications (and emails) in one statement each.

An MQL nobody can take waits in the backlog (handoff.backlog) with the reason recorded (WaitingLead): every rep who
could take it is at capacity, nothing covers it (no owner, territory or sales team with a seller), or no seller is
in at all. Sales managers hear about newly waiting MQLs once per run, with the count, rather than once per lead.
The backlog routes them as capacity frees up.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plumbline.accounts.models import Notification, Team, User
from plumbline.accounts.tasks import send_notification_email
from plumbline.crm.models import Contact, LifecycleStage
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, parsed
from plumbline.events.actions import EventSpec, emit_many
from plumbline.handoff.business_hours import add_business_hours
from plumbline.handoff.models import Assignment, RoundRobinState, Territory, WaitingLead
from plumbline.handoff.routing import available, territory_matches
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.bulk import RuleInputs, do_bulk_promote, id_chunks, promotion_events

logger = logging.getLogger(__name__)
BATCH = 50_000  # contacts per transaction
DETAIL_CHUNK = 1_000  # leads read with their companies at a time, while someone can still take one
Reason = WaitingLead.Reason


@dataclass(frozen=True)
class _Company:
    name: str
    country: str
    industry: str
    employee_count: int | None
    owner_id: int | None


@dataclass(frozen=True)
class _Lead:
    pk: int
    name: str  # as str(contact) reads
    owner_id: int | None
    source: str
    mql_at: dt.datetime | None
    company: _Company | None


@dataclass
class RouteResult:
    routed: list[Assignment] = field(default_factory=list)
    waiting: Counter[str] = field(default_factory=Counter)  # reason -> MQLs left waiting by this call
    newly_waiting: Counter[str] = field(default_factory=Counter)  # of those, the ones not waiting before


@dataclass
class HandoffResult:
    promoted: int = 0
    routed: int = 0
    waiting: Counter[str] = field(default_factory=Counter)
    newly_waiting: Counter[str] = field(default_factory=Counter)


class _Router:
    """The state `choose_rep` reads, read once: sellers with their open leads, territories, sales teams and the
    round-robin positions (locked, as `choose_rep` locks the one it moves). Giving out a lead counts it."""

    def __init__(self) -> None:
        sellers = available(include_full=True)
        self.open = {u.pk: u.open_leads for u in sellers}
        self.capacity = {u.pk: u.capacity for u in sellers}
        self.free = sum(max(u.capacity - u.open_leads, 0) for u in sellers)
        self.members: dict[int, list[int]] = defaultdict(list)
        for u in sellers:  # ordered by id, as `available` returns them
            if u.team_id is not None:
                self.members[u.team_id].append(u.pk)
        self.territories = list(Territory.objects.filter(is_active=True).select_related("team"))
        self.teams = list(Team.objects.filter(kind=Team.Kind.SALES).order_by("id"))
        self.last = dict(RoundRobinState.objects.select_for_update().order_by("team_id")
                         .values_list("team_id", "last_user_id"))
        self.moved: set[int] = set()  # teams whose round-robin position moved
        self.any_team_covers = any(self.members.get(t.pk) for t in self.teams)

    def _room(self, user_id: int | None) -> bool:
        return user_id in self.open and self.open[user_id] < self.capacity[user_id]

    def _round_robin(self, team_id: int) -> int | None:
        candidates = [pk for pk in self.members.get(team_id, ()) if self._room(pk)]
        if not candidates:
            return None
        last = self.last.get(team_id) or 0
        chosen = next((pk for pk in candidates if pk > last), candidates[0])
        self.last[team_id] = chosen
        self.moved.add(team_id)
        return chosen

    def _give(self, rep_id: int, method: str, reason: str) -> tuple[int, str, str]:
        self.open[rep_id] += 1
        self.free -= 1
        return rep_id, method, reason

    def choose(self, company: _Company | None) -> tuple[int, str, str] | None:
        """(rep id, method, reason) as `choose_rep` decides, or None."""
        if self.free <= 0:
            return None
        if company is not None and company.owner_id and self._room(company.owner_id):
            return self._give(company.owner_id, "company_owner", f"Owner of {company.name}")
        for territory in self.territories:
            if not territory_matches(territory, company):
                continue
            if territory.rep_id and self._room(territory.rep_id):
                return self._give(territory.rep_id, "territory", f"Territory {territory.name}")
            if territory.team_id:
                rep = self._round_robin(territory.team_id)
                if rep is not None:
                    assert territory.team is not None
                    return self._give(rep, "territory",
                                      f"Territory {territory.name}, round robin in {territory.team.name}")
        for team in self.teams:
            rep = self._round_robin(team.pk)
            if rep is not None:
                return self._give(rep, "round_robin", f"Round robin in {team.name}")
        return None

    def uniform_reason(self) -> str | None:
        """The reason every further lead waits, whatever its company, once that is so (no seller at all; or every
        seller full while some sales team has sellers, so every lead had someone); else None."""
        if not self.open:
            return Reason.NO_SELLER
        if self.free <= 0 and self.any_team_covers:
            return Reason.CAPACITY
        return None

    def why_not(self, company: _Company | None) -> str:
        """Why nobody took a lead of `company`: no seller at all, every seller a rule leads to is full, or no rule
        leads to any seller."""
        if not self.open:
            return Reason.NO_SELLER
        if self.any_team_covers:
            return Reason.CAPACITY
        if company is not None and company.owner_id in self.open:
            return Reason.CAPACITY
        for territory in self.territories:
            if territory_matches(territory, company) and (
                    territory.rep_id in self.open or (territory.team_id and self.members.get(territory.team_id))):
                return Reason.CAPACITY
        return Reason.NO_TERRITORY

    def save_positions(self) -> None:
        for team_id in sorted(self.moved):
            RoundRobinState.objects.update_or_create(team_id=team_id, defaults={"last_user_id": self.last[team_id]})


def _waiting_ids(contact_ids: list[int]) -> list[int]:
    """The MQLs among `contact_ids` not already in a rep's queue, in id order."""
    found: list[int] = []
    for condition, params in id_chunks("c.id", contact_ids):
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT c.id FROM crm_contact c WHERE {condition} AND c.lifecycle_stage = %s AND NOT EXISTS "
                "(SELECT 1 FROM handoff_assignment a WHERE a.contact_id = c.id AND a.status = %s) ORDER BY c.id",
                [*params, LifecycleStage.MQL, Assignment.Status.OPEN])
            found += [pk for (pk,) in cur.fetchall()]
    return found


def _leads(contact_ids: list[int]) -> list[_Lead]:
    """These contacts with what routing reads, in id order."""
    rows = (
        Contact.objects.filter(pk__in=contact_ids).order_by("pk")
        .values_list("pk", "first_name", "last_name", "email", "owner_id", "source", "lifecycle_changed_at",
                     "company_id", "company__name", "company__country", "company__industry",
                     "company__employee_count", "company__owner_id")
    )
    leads = []
    for pk, first, last, email, owner_id, source, mql_at, company_id, *company in rows:
        name = f"{first} {last}".strip() or email
        leads.append(_Lead(pk, name, owner_id, source, mql_at, _Company(*company) if company_id else None))
    return leads


def _lead_sources(leads: list[_Lead], now: dt.datetime) -> dict[int, tuple[int | None, str, str]]:
    """Per lead, the campaign, channel and source of its last campaign touchpoint up to `now` (else its last
    touchpoint; else no campaign, no channel and the contact's source), as `do_route_lead` records them."""
    latest: dict[int, tuple[int | None, str, str]] = {}
    with_campaign: dict[int, tuple[int | None, str, str]] = {}
    by_pk = {lead.pk: lead for lead in leads}
    for start in range(0, len(leads), DETAIL_CHUNK):
        touches = (Touchpoint.objects.filter(contact_id__in=[lead.pk for lead in leads[start:start + DETAIL_CHUNK]],
                                             occurred_at__lte=now)
                   .order_by("contact_id", "-occurred_at", "-id")
                   .values_list("contact_id", "campaign_id", "channel", "source"))
        for contact_id, campaign_id, channel, source in touches:
            row = (campaign_id, channel, source or by_pk[contact_id].source)
            latest.setdefault(contact_id, row)
            if campaign_id is not None:
                with_campaign.setdefault(contact_id, row)
    return {lead.pk: with_campaign.get(lead.pk) or latest.get(lead.pk) or (None, "", lead.source) for lead in leads}


def _assign(leads: list[tuple[_Lead, tuple[int, str, str]]], now: dt.datetime,
            version: DefinitionVersion) -> list[Assignment]:
    """Write the assignments, owner changes and the reps' notifications for the chosen leads."""
    if not leads:
        return []
    sla = parsed(version).sla
    due, escalate = add_business_hours(now, sla.first_touch_hours, sla), add_business_hours(
        now, sla.escalate_after_hours, sla)
    sources = _lead_sources([lead for lead, _ in leads], now)
    assignments = Assignment.objects.bulk_create([
        Assignment(contact_id=lead.pk, rep_id=rep_id, method=method, reason=reason[:300],
                   definition_version=version.number, assigned_at=now, sla_due_at=due, escalate_at=escalate,
                   campaign_id=sources[lead.pk][0], channel=sources[lead.pk][1], source=sources[lead.pk][2][:100])
        for lead, (rep_id, method, reason) in leads
    ])
    new_owner: dict[int, list[int]] = defaultdict(list)
    for lead, (rep_id, _, _) in leads:
        if lead.owner_id != rep_id:
            new_owner[rep_id].append(lead.pk)
    changed_at = timezone.now()  # as `do_update_contact` stamps the owner change
    for rep_id, contact_ids in new_owner.items():
        Contact.objects.filter(pk__in=contact_ids).update(owner_id=rep_id, updated_at=changed_at)
    _notify_reps(leads, due)
    return assignments


def _notify_reps(leads: list[tuple[_Lead, tuple[int, str, str]]], due: dt.datetime) -> None:
    """Each rep hears of each new lead, in the app and by mail once the batch commits, as from `do_route_lead`."""
    emails = dict(User.objects.filter(pk__in={rep_id for _, (rep_id, _, _) in leads}).values_list("pk", "email"))
    notes = []
    for lead, (rep_id, _, reason) in leads:
        url = f"/contacts/{lead.pk}/"
        message = (f"New lead for you: {lead.name} ({reason}). First touch due {due:%Y-%m-%d %H:%M} UTC.")
        notes.append(Notification(user_id=rep_id, kind="assigned", message=message[:500], url=url[:300]))
        if emails.get(rep_id):
            send_notification_email.enqueue(user_id=rep_id, subject=message[:150], body=message, url=url)
    Notification.objects.bulk_create(notes)


def _record_waiting(waiting: list[tuple[_Lead, str]], now: dt.datetime) -> Counter[str]:
    """Record why each lead waits; returns the count of those that were not already waiting, by reason."""
    new = Counter[str]()
    for start in range(0, len(waiting), DETAIL_CHUNK):  # a bounded IN list per statement (SQLite's limit)
        new += _record_waiting_chunk(waiting[start:start + DETAIL_CHUNK], now)
    return new


def _record_waiting_chunk(waiting: list[tuple[_Lead, str]], now: dt.datetime) -> Counter[str]:
    pks = [lead.pk for lead, _ in waiting]
    before = dict(WaitingLead.objects.filter(contact_id__in=pks).values_list("contact_id", "since"))
    rows, new = [], Counter[str]()
    for lead, reason in waiting:
        since = before.get(lead.pk)
        if since is None or lead.mql_at is None or since < lead.mql_at:  # none, or from an earlier time it waited
            since = now
            new[reason] += 1
        rows.append(WaitingLead(contact_id=lead.pk, reason=reason, since=since, checked_at=now))
    WaitingLead.objects.bulk_create(rows, update_conflicts=True, unique_fields=["contact"],
                                    update_fields=["reason", "since", "checked_at"])
    return new


def _record_all_waiting(contact_ids: list[int], reason: str, now: dt.datetime) -> int:
    """Record that all these leads wait for the same reason; returns how many were not already waiting. One
    statement on PostgreSQL (every lead past the reps' capacity after a first bulk rescore lands here)."""
    if connection.vendor != "postgresql":
        return sum(sum(_record_waiting([(lead, reason) for lead in _leads(contact_ids[i:i + DETAIL_CHUNK])],
                                       now).values()) for i in range(0, len(contact_ids), DETAIL_CHUNK))
    with connection.cursor() as cur:
        cur.execute(
            "WITH src AS (SELECT c.id, w.since AS prior FROM crm_contact c LEFT JOIN handoff_waitinglead w "
            "  ON w.contact_id = c.id AND w.since >= c.lifecycle_changed_at WHERE c.id = ANY(%s)), "
            "up AS (INSERT INTO handoff_waitinglead (contact_id, reason, since, checked_at) "
            "  SELECT id, %s, COALESCE(prior, %s), %s FROM src ON CONFLICT (contact_id) DO UPDATE "
            "  SET reason = excluded.reason, since = excluded.since, checked_at = excluded.checked_at) "
            "SELECT COUNT(*) FROM src WHERE prior IS NULL",
            [contact_ids, reason, now, now])
        return int(cur.fetchone()[0])


def record_waiting(*, contact_id: int, now: dt.datetime) -> None:
    """Record why routing found nobody for this one contact (what `do_route_lead` calls when it finds nobody)."""
    leads = _leads([contact_id])
    if leads:
        _record_waiting([(leads[0], _Router().why_not(leads[0].company))], now)


def notify_waiting(newly_waiting: Counter[str]) -> None:
    """Tell every active sales manager how many MQLs began waiting for a rep, and why (one note each)."""
    total = sum(newly_waiting.values())
    if not total:
        return
    why = "; ".join(f"{Reason(reason).label}: {n:,}" for reason, n in newly_waiting.most_common())
    message = f"{total:,} new MQL{'s' if total != 1 else ''} wait{'' if total != 1 else 's'} for a rep. {why}."
    Notification.objects.bulk_create([
        Notification(user=manager, kind="unrouted", message=message[:500], url="/queue/waiting/")
        for manager in User.objects.filter(role="sales_manager", is_active=True)
    ])


def assignment_events(assignments: list[Assignment]) -> list[EventSpec]:
    """A `lead.assigned` event for each new assignment."""
    return [EventSpec(kind="lead.assigned", subject_type="assignment", subject_id=a.pk, occurred_at=a.assigned_at,
                      payload={"contact_id": a.contact_id, "rep_id": a.rep_id, "method": a.method,
                               "definition_version": a.definition_version})
            for a in assignments]


@transaction.atomic
def route_mqls(
    *, contact_ids: list[int], now: dt.datetime | None = None, version: DefinitionVersion | None = None,
    notify_unrouted: bool = True, emit_events: bool = True,
) -> RouteResult:
    """Route the MQLs among `contact_ids` that are in no rep's queue, in id order, as `do_route_lead` would one
    after the other, with a `lead.assigned` event each (unless `emit_events` is false: the caller then writes
    `assignment_events(result.routed)` later in the transaction); record why the others wait. Idempotent: a
    routed MQL is in a queue and skipped next time, and a waiting one is only counted as newly waiting once."""
    now = now or timezone.now()
    version = version or current_version()
    began = time.perf_counter()
    ids = _waiting_ids(sorted(contact_ids))
    logger.debug("%.2f s, %s rows: MQLs in no queue", time.perf_counter() - began, len(ids))
    result = RouteResult()
    if not ids:
        return result
    router = _Router()
    chosen, waiting, rest, uniform = [], [], [], None
    for start in range(0, len(ids), DETAIL_CHUNK):
        uniform = router.uniform_reason()
        if uniform is not None:  # nobody can take any further lead: no need to read them one by one
            rest = ids[start:]
            break
        for lead in _leads(ids[start:start + DETAIL_CHUNK]):
            choice = router.choose(lead.company)
            if choice is None:
                waiting.append((lead, router.why_not(lead.company)))
            else:
                chosen.append((lead, choice))
    router.save_positions()
    result.routed = _assign(chosen, now, version)
    for start in range(0, len(chosen), DETAIL_CHUNK):
        WaitingLead.objects.filter(contact_id__in=[lead.pk for lead, _ in chosen[start:start + DETAIL_CHUNK]]).delete()
    result.waiting = Counter(reason for _, reason in waiting)
    result.newly_waiting = _record_waiting(waiting, now)
    if rest:
        assert uniform is not None
        began = time.perf_counter()
        result.waiting[uniform] += len(rest)
        result.newly_waiting += Counter({uniform: _record_all_waiting(rest, uniform, now)})  # drops a zero
        logger.debug("%.2f s, %s rows: waiting for one reason", time.perf_counter() - began, len(rest))
    if notify_unrouted:
        notify_waiting(result.newly_waiting)
    if emit_events:
        emit_many(assignment_events(result.routed))
    return result


def do_promote_and_route(
    *, contact_ids: list[int], now: dt.datetime | None = None, version: DefinitionVersion | None = None,
    batch: int = BATCH, progress: Callable[[int, int], Any] | None = None,
    inputs: Mapping[int, RuleInputs] | None = None,
) -> HandoffResult:
    """Promote to MQL the contacts among `contact_ids` the MQL rule holds for (from their current stored scores)
    and route them, `batch` contacts per transaction; sales managers hear once about the MQLs left waiting.
    `inputs`: the bulk rescore's BulkResult.rule_inputs, if at hand (see `do_bulk_promote`)."""
    now = now or timezone.now()
    version = version or current_version()
    ids = sorted(contact_ids)
    result = HandoffResult()
    for start in range(0, len(ids), batch):
        began = time.perf_counter()
        with transaction.atomic():
            promoted = do_bulk_promote(contact_ids=ids[start:start + batch], now=now, version=version,
                                       emit_events=False, inputs=inputs)
            promoted_at = time.perf_counter()
            routed = route_mqls(contact_ids=[m.contact_id for m in promoted], now=now, version=version,
                                notify_unrouted=False, emit_events=False)
            routed_at = time.perf_counter()
            # Last in the transaction: the feed's lock is held from here to the commit only.
            emit_many([*promotion_events(promoted, now=now, number=int(version.number)),
                       *assignment_events(routed.routed)])
            emitted_at = time.perf_counter()
        logger.debug("%.2f s promoting %s, %.2f s routing, %.2f s writing events, %.2f s committing",
                     promoted_at - began, len(promoted), routed_at - promoted_at, emitted_at - routed_at,
                     time.perf_counter() - emitted_at)
        result.promoted += len(promoted)
        result.routed += len(routed.routed)
        result.waiting += routed.waiting
        result.newly_waiting += routed.newly_waiting
        if progress is not None:
            progress(min(start + batch, len(ids)), len(ids))
    with transaction.atomic():
        notify_waiting(result.newly_waiting)
    return result
